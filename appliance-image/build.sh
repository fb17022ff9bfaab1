#!/usr/bin/env bash
# Builds a bootable BIOS disk image of a spangate appliance into appliance-image/out/:
#   disk.img       raw disk: MBR + syslinux on a FAT boot partition + ext4 root (write it with dd)
#   manifest.txt   package versions inside (also /usr/share/spangate-appliance/manifest.txt, 0444)
#   vmlinuz, initrd.img, rootfs.ext4 (for direct-kernel boots), build.log
#
#   bash appliance-image/build.sh [path/to/spangate_<v>_amd64.deb]
#
# Debian 12 minbase by mmdebstrap (merged-usr, no perl), slim kernel (no GPU/sound/wireless/
# media/bluetooth modules, small initramfs), the spangate .deb installed through apt so its
# Depends come from the mirror, systemd-networkd (DHCP), serial console on ttyS0, a first-boot
# unit (instance id, TLS key) and a console ready marker. No loop devices and no mounts of our
# own; mmdebstrap's own mounts are checked and released on any exit. Reproducible for the same
# package versions: SOURCE_DATE_EPOCH, clamped mtimes, fixed UUIDs/ids/seeds, frozen clock.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
HERE=$REPO/appliance-image
OUT=${SPANGATE_IMAGE_OUT:-$HERE/out}
START=$(date +%s)
note() { echo "image: $*" >&2; }
die() { note "$*"; exit 1; }

HOST_TOOLS="mmdebstrap qemu-utils syslinux syslinux-common mtools dosfstools fdisk faketime e2fsprogs arch-test"
SPANGATE_EXTRA_PACKAGES="$HOST_TOOLS ${SPANGATE_EXTRA_PACKAGES:-}" bash scripts/setup.sh || die "scripts/setup.sh failed"

DEB=${1:-}
if [ -z "$DEB" ]; then
  DEB=$(bash packaging/deb/build.sh | tail -1) || die "building the .deb failed"
fi
DEB=$(readlink -f "$DEB"); [ -f "$DEB" ] || die "no such package: $DEB"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
ROOT_UUID=5a4e6a7e-0000-4000-8000-00000000a001
HASH_SEED=5a4e6a7e-0000-4000-8000-00000000a002
FAT_ID=5a4e0001
MBR_ID=0x5350474e
BOOT_MIB=64

mkdir -p "$OUT"
exec 9>"$OUT/.build.lock"
flock 9
# Reuse the image when its inputs (the .deb, this recipe, the epoch) are unchanged and it is
# less than a day old (mirror updates); SPANGATE_IMAGE_REBUILD=1 always builds.
INPUTS=$( { sha256sum "$DEB" | cut -d' ' -f1; echo "$SOURCE_DATE_EPOCH"
  find "$HERE" -path "$OUT" -prune -o -path "$HERE/out" -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } \
  | sha256sum | cut -d' ' -f1)
if [ "${SPANGATE_IMAGE_REBUILD:-0}" != 1 ] && [ -f "$OUT/disk.img" ] && [ "$(cat "$OUT/inputs" 2>/dev/null)" = "$INPUTS" ] \
  && [ -z "$(find "$OUT/disk.img" -mmin +1440)" ]; then
  note "$OUT/disk.img reused: same .deb, recipe and epoch (SPANGATE_IMAGE_REBUILD=1 rebuilds)"
  grep '^image: ' "$OUT/build.log" | grep -v reused >&2 || true
  echo "$OUT/disk.img"; exit 0
fi
rm -f "$OUT/inputs"
ROOT=$OUT/rootfs
LOG=$OUT/build.log
: > "$LOG"
cleanup() {
  local rc=$?
  # mmdebstrap unmounts what it mounted even when it fails; make sure nothing is left anyway.
  if [ -d "$ROOT" ]; then
    findmnt -rn -o TARGET | grep -F "$ROOT" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$ROOT"
  fi
  rm -f "$OUT/boot.vfat" "$OUT/norm.cmds" "$OUT/syslinux.cfg"
  [ "$rc" -eq 0 ] || note "failed (exit $rc); log: $LOG"
}
trap cleanup EXIT
rm -rf "$ROOT" "$OUT/disk.img" "$OUT/rootfs.ext4"

# The slim kernel: drop module trees a branch-office router never uses.
SLIM=()
for d in drivers/gpu drivers/media sound drivers/infiniband drivers/net/wireless net/wireless \
  net/mac80211 drivers/staging drivers/iio drivers/bluetooth net/bluetooth drivers/input/joystick \
  drivers/input/touchscreen drivers/hid drivers/video drivers/isdn drivers/thunderbolt; do
  SLIM+=("--dpkgopt=path-exclude=/lib/modules/*/kernel/$d/*")
done
PKGS=systemd,systemd-sysv,systemd-resolved,udev,dbus,linux-image-amd64,zstd,iproute2,iputils-ping,procps,openssl,less

# The appliance's own config: metrics/health on every address (scraped from the LAN).
CONF_EDIT='const f = process.argv[1]; const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(f, "utf8"));
  c.metrics = { ...(c.metrics || {}), address: "0.0.0.0" };
  fs.writeFileSync(f, JSON.stringify(c, null, 2) + "\n");'

note "mmdebstrap bookworm minbase + $(basename "$DEB")"
t0=$(date +%s)
mmdebstrap --mode=root --variant=minbase \
  --include="$PKGS,$DEB" \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  "${SLIM[@]}" \
  --essential-hook="sync-in $HERE/early /" \
  --essential-hook="mkdir -p \"\$1\"$(dirname "$DEB") && cp $DEB \"\$1\"$DEB" \
  --customize-hook="rm -f \"\$1\"$DEB" \
  --customize-hook="sync-in $HERE/overlay /" \
  --customize-hook="node -e '$CONF_EDIT' \"\$1\"/etc/spangate/spangate.json" \
  --customize-hook='chroot "$1" systemctl enable systemd-networkd spangate-firstboot.service spangate-ready.service' \
  --customize-hook='chroot "$1" systemctl mask e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer 2>/dev/null || true' \
  --customize-hook='echo spangate > "$1"/etc/hostname; printf "127.0.0.1\tlocalhost\n127.0.1.1\tspangate\n::1\tlocalhost ip6-localhost ip6-loopback\n" > "$1"/etc/hosts' \
  --customize-hook='chroot "$1" systemctl enable systemd-resolved' \
  --customize-hook='chroot "$1" passwd -d root >/dev/null && chroot "$1" chage -d 0 root' \
  --customize-hook='mkdir -p "$1"/usr/share/spangate-appliance && chroot "$1" dpkg-query -W -f="\${Package}\t\${Version}\t\${Architecture}\n" | LC_ALL=C sort > "$1"/usr/share/spangate-appliance/manifest.txt && chmod 0444 "$1"/usr/share/spangate-appliance/manifest.txt' \
  --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/archives/partial/* "$1"/var/lib/apt/lists/* "$1"/var/log/apt/* "$1"/tmp/* && : > "$1"/etc/machine-id' \
  --customize-hook='ln -sfn ../run/systemd/resolve/stub-resolv.conf "$1"/etc/resolv.conf' \
  bookworm "$ROOT" /etc/apt/sources.list.d/debian.sources >>"$LOG" 2>&1 \
  || { tail -30 "$LOG" >&2; die "mmdebstrap failed"; }
T_STRAP=$(( $(date +%s) - t0 ))
cp "$ROOT/usr/share/spangate-appliance/manifest.txt" "$OUT/manifest.txt"
cp "$ROOT"/boot/vmlinuz-* "$OUT/vmlinuz"
cp "$ROOT"/boot/initrd.img-* "$OUT/initrd.img"

# --- ext4 root, reproducible ------------------------------------------------------------------
t0=$(date +%s)
find "$ROOT" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch -h -d "@$SOURCE_DATE_EPOCH"
USED=$(du -sm "$ROOT" | cut -f1)
SIZE=$(( USED * 12 / 10 + 256 ))
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L spangate-root -U "$ROOT_UUID" \
  -E "hash_seed=$HASH_SEED,root_owner=0:0" -I 256 -d "$ROOT" "$OUT/rootfs.ext4" "${SIZE}M" >>"$LOG" 2>&1 \
  || die "mkfs.ext4 failed"
# mke2fs copies atime/ctime from the tree; set them to SOURCE_DATE_EPOCH under a frozen clock.
FROZEN=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S')
TS=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y%m%d%H%M%S')
(cd "$ROOT" && find . -mindepth 1 -printf '/%P\n') | LC_ALL=C sort |
  awk -v ts="$TS" '{printf "sif \"%s\" ctime %s\nsif \"%s\" atime %s\n",$0,ts,$0,ts}' > "$OUT/norm.cmds"
printf 'sif / ctime %s\nsif / atime %s\n' "$TS" "$TS" >> "$OUT/norm.cmds"
TZ=UTC faketime -f "$FROZEN" debugfs -w -f "$OUT/norm.cmds" "$OUT/rootfs.ext4" >/dev/null 2>>"$LOG" \
  || die "debugfs normalisation failed"
rm -rf "$ROOT"

# --- BIOS disk: MBR + FAT (syslinux, kernel, initrd) + ext4 root, assembled without loop devices
D=$OUT/disk.img
ROOT_MIB=$(( ($(stat -c %s "$OUT/rootfs.ext4") + 1048575) / 1048576 ))
cat > "$OUT/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT spangate
PROMPT 0
TIMEOUT 0
LABEL spangate
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND root=UUID=$ROOT_UUID rw console=tty0 console=ttyS0,115200 panic=10
CFG
TZ=UTC faketime -f "$FROZEN" bash -euo pipefail -c '
  OUT=$1; D=$2; BOOT_MIB=$3; ROOT_MIB=$4; FAT_ID=$5; MBR_ID=$6
  mkfs.vfat -n SPANGATE -i "$FAT_ID" -C "$OUT/boot.vfat" $(( BOOT_MIB * 1024 )) >/dev/null
  syslinux --install "$OUT/boot.vfat"
  mcopy -m -i "$OUT/boot.vfat" "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/syslinux.cfg" ::/
  rm -f "$D"; truncate -s $(( 1 + BOOT_MIB + ROOT_MIB ))M "$D"
  printf "label: dos\nlabel-id: %s\nstart=1MiB, size=%sMiB, type=c, bootable\nstart=%sMiB, size=%sMiB, type=83\n" \
    "$MBR_ID" "$BOOT_MIB" $(( 1 + BOOT_MIB )) "$ROOT_MIB" | sfdisk -q "$D"
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$D" bs=440 count=1 conv=notrunc status=none
  dd if="$OUT/boot.vfat" of="$D" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$OUT/rootfs.ext4" of="$D" bs=1M seek=$(( 1 + BOOT_MIB )) conv=notrunc,sparse status=none
' _ "$OUT" "$D" "$BOOT_MIB" "$ROOT_MIB" "$FAT_ID" "$MBR_ID" >>"$LOG" 2>&1 || die "disk assembly failed"
T_DISK=$(( $(date +%s) - t0 ))

SUM=$(sha256sum "$D" | cut -c1-16)
APPARENT=$(( $(stat -c %s "$D") / 1048576 ))
ALLOC=$(( $(du -k "$D" | cut -f1) / 1024 ))
PKGS_N=$(wc -l < "$OUT/manifest.txt")
{
  echo "image: $D"
  echo "image: ${APPARENT} MiB apparent, ${ALLOC} MiB allocated (sparse), rootfs ${USED} MiB, ${PKGS_N} packages, sha256 ${SUM}…"
  echo "image: spangate $(dpkg-deb -f "$DEB" Version), kernel $(grep -E '^linux-image-[0-9]' "$OUT/manifest.txt" | cut -f1,2 | tr '\t' ' ')"
  echo "image: build time $(( $(date +%s) - START )) s (mmdebstrap ${T_STRAP} s, filesystem + disk ${T_DISK} s)"
} | tee -a "$LOG" >&2
echo "$INPUTS" > "$OUT/inputs"
echo "$D"
