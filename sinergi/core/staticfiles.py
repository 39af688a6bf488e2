"""Static files with content hashes in their names (cached for a year, `immutable`) and pre-compressed copies
(gzip, brotli) written by `collectstatic`: WhiteNoise's CompressedManifestStaticFilesStorage (issue 16).

`sinergi up` runs collectstatic before serving; `sinergi serve` expects `sinergi manage collectstatic` (see
docs/operations-guide.md). Until it has run, a name missing from the manifest falls back to the plain name
(WhiteNoise still serves it from the app folders, with the short cache), instead of failing the page.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:  # not collected (yet): the plain name
            return name
