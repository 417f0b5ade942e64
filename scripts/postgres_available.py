"""Exit 0 when the PostgreSQL server of the given URL answers, 1 otherwise (one line on why)."""

import sys

import psycopg


def main(url: str) -> int:
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        print(f"PostgreSQL not available: {str(error).strip().splitlines()[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
