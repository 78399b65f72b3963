import sys

from sylk_host.server import main

sys.exit(main())
