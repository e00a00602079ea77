import sys

from resync_assets.cli import main

sys.exit(main())
