from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ardoise.core.backups import BackupError, back_up


class Command(BaseCommand):
    help = (
        "Back up the live database (SQLite online backup, or pg_dump), the uploaded files and "
        "the mail folder into a new folder, while the app runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a new folder to write the backup into")
        parser.add_argument("--no-files", action="store_true", help="the database only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = back_up(folder=options["folder"], with_files=not options["no_files"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = ", ".join(backup.files) or "no files"
        self.stdout.write(f"Backed up the {backup.engine} database and {files} to {backup.folder}")
