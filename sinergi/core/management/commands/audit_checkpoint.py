import json

from django.core.management.base import BaseCommand

from sinergi.core.services import audit_checkpoint_create


class Command(BaseCommand):
    help = ("Sign the audit chain's head (seq, hash, count, time, key id) with the audit key's Ed25519 key pair; "
            "keep it in the database and the data folder and print it (JSON) for safekeeping elsewhere.")

    def handle(self, *args, **opts):
        self.stdout.write(json.dumps(audit_checkpoint_create(purpose="command"), sort_keys=True))
