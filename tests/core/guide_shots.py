"""The screenshots of the user guide (docs/guide/img/), per role: (file name, page, what to wait for).

tests/core/test_guide_screenshots.py takes them in a browser; tests/core/test_guide_images.py checks that every
image the guide references exists and that each of these is referenced by its role's guide page."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
IMG = GUIDE / "img"

#: guide page -> [(image file, URL, CSS selector that is on the page once it is drawn)]
SHOTS: dict[str, list[tuple[str, str, str]]] = {
    "perencana.md": [("perencana-beranda.png", "/", "main"),
                     ("perencana-kerawanan.png", "/kerawanan/", "main"),
                     ("perencana-pengamanan.png", "/pengamanan/", "main")],
    "komandan.md": [("komandan-beranda.png", "/", "main"),
                    ("komandan-operasi.png", "/operasi/", "main"),
                    ("komandan-situasi.png", "/insiden/situasi/", "main")],
    "operator.md": [("operator-peta.png", "/wilayah/peta/", "#map[data-ready='1']"),
                    ("operator-lapor-insiden.png", "/insiden/lapor/", "main"),
                    ("operator-lapor-tps.png", "/operasi/lapor/", "main")],
    "mitra.md": [("mitra-insiden.png", "/insiden/", "main"),
                 ("mitra-koordinasi.png", "/koordinasi/", "main")],
    "admin.md": [("admin-satuan.png", "/accounts/satuan/", "main"),
                 ("admin-tugas.png", "/tugas/", "main")],
}
