#!/usr/bin/env python3
"""The local cloud's command line: `up` (make local), `pipeline`, `results`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localcloud.cli import main  # noqa: E402 (after the sys.path entry above)

if __name__ == "__main__":
    sys.exit(main())
