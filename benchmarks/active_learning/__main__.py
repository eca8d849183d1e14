import sys

from benchmarks.active_learning.cli import main

sys.exit(main())
