"""Checks that several tables hold the same rows: same customers and, per customer, equal
values in every column named (numbers compared exactly as decimals, text as text).

Usage: check_equal.py COLUMNS FILE_A FILE_B [FILE ...]
COLUMNS is a comma-separated list; the first is the key. Exits 1 on the first difference.
"""

import csv
import sys
from decimal import Decimal, InvalidOperation


def norm(v):
    try:
        return Decimal(v).normalize()
    except InvalidOperation:
        return v


def load(path, columns):
    with open(path, newline="") as f:
        rows = {}
        for row in csv.DictReader(f):
            key = norm(row[columns[0]])
            rows[key] = tuple(norm(row[c]) for c in columns[1:])
        return rows


def main():
    columns = sys.argv[1].split(",")
    files = sys.argv[2:]
    base = load(files[0], columns)
    for other in files[1:]:
        rows = load(other, columns)
        if rows.keys() != base.keys():
            missing = sorted(set(base) ^ set(rows))[:5]
            sys.exit(f"DIFFERENT customers: {files[0]} vs {other}, e.g. {missing}")
        for key, value in base.items():
            if rows[key] != value:
                sys.exit(f"DIFFERENT row {key}: {files[0]} {value} vs {other} {rows[key]}")
    print(f"equal: {len(base)} rows, columns {','.join(columns)}, files {' '.join(files)}")


if __name__ == "__main__":
    main()
