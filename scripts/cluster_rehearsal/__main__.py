import sys

from cluster_rehearsal.commands import main

sys.exit(main(sys.argv[1:]))
