#!/bin/sh
# First boot of a spangate appliance: a unique instance id and this box's own TLS key and
# self-signed certificate (replace them with your CA's: /etc/spangate/tls/server.{key,crt}).
# Runs once (spangate-firstboot.service), before the gateway starts.
set -eu
umask 022
ID_FILE=/etc/spangate/instance-id
TLS=/etc/spangate/tls
if [ ! -s "$ID_FILE" ]; then
    cat /proc/sys/kernel/random/uuid > "$ID_FILE.tmp"
    mv "$ID_FILE.tmp" "$ID_FILE"
fi
id=$(cat "$ID_FILE")
if [ ! -s "$TLS/server.key" ] || [ ! -s "$TLS/server.crt" ]; then
    install -d -m 0750 -o root -g spangate "$TLS"
    (umask 027; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
        -days 3650 -subj "/O=spangate appliance/CN=spangate-$id" \
        -addext "subjectAltName=DNS:spangate-$(echo "$id" | cut -c1-8),DNS:spangate" \
        -keyout "$TLS/server.key.tmp" -out "$TLS/server.crt.tmp" 2>/dev/null)
    chgrp spangate "$TLS/server.key.tmp" "$TLS/server.crt.tmp"
    chmod 0640 "$TLS/server.key.tmp"; chmod 0644 "$TLS/server.crt.tmp"
    mv "$TLS/server.key.tmp" "$TLS/server.key"
    mv "$TLS/server.crt.tmp" "$TLS/server.crt"
fi
fp=$(openssl x509 -in "$TLS/server.crt" -noout -fingerprint -sha256 | cut -d= -f2)
install -d -m 0755 /var/lib/spangate-appliance
touch /var/lib/spangate-appliance/firstboot.done
echo "SPANGATE-FIRSTBOOT instance=$id tls-sha256=$fp"
