import sys

from prunelint.cli import main

sys.exit(main())
