#!/bin/sh
# spangate CLI and daemon on the Node.js runtime shipped inside the package.
exec /usr/lib/spangate/node/bin/node /usr/lib/spangate/bin/spangate "$@"
