from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ardoise.core.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder into a new SQLite file or an empty PostgreSQL database, and "
        "its files into a folder; then point DATABASE_URL at it and run ledger_check."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder written by backup_database")
        parser.add_argument("--sqlite-file", type=Path, help="the new SQLite file to create")
        parser.add_argument("--postgres-database", help="an empty PostgreSQL database's name")
        parser.add_argument("--files-to", type=Path, help="where to put media/ and mail/")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = restore(
                folder=options["folder"],
                sqlite_file=options["sqlite_file"],
                postgres_database=options["postgres_database"],
                files_to=options["files_to"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the {backup.engine} backup of {backup.folder}")
