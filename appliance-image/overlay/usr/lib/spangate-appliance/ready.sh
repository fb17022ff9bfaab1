#!/bin/sh
# Prints one line on the console once boot has settled: what runs, and where. The boot test
# waits for it; on real hardware it tells whoever watches the serial console the box is up.
gw=$(systemctl is-active spangate.service)
rtp=$(systemctl is-active rtpengine-daemon.service)
addr=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | paste -sd, -)
echo "SPANGATE-READY version=$(dpkg-query -W -f='${Version}' spangate) spangate=$gw rtpengine=$rtp instance=$(cat /etc/spangate/instance-id 2>/dev/null) addr=${addr:-none} uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
