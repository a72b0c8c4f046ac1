#!/usr/bin/env bash
# Builds (once) the Debian 12 systemd image that stands in for a VM in tests.
# The tag is a hash of this directory, so the image is rebuilt only when its
# recipe changes. Prints the image reference.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=${ODOO_OPS_BASE_IMAGE_REPO:-odoo-ops/debian12-systemd}
hash=$(cd "$here" && find . -type f ! -name '*.tar' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
ref="$repo:$hash"
if docker image inspect "$ref" >/dev/null 2>&1; then
  docker tag "$ref" "$repo:latest"
  echo "$ref"; exit 0
fi
# shellcheck source=/dev/null
. "$here/recipe.env"
work=$(mktemp -d /var/tmp/odoo-ops-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "building $ref with debootstrap (about a minute)" >&2
debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
r="$work/rootfs"
cp -a "$here/files/." "$r/"
rm -f "$r/etc/apt/sources.list"
# A container, not a VM: no getty, no udev-triggered units, machine-id made at boot.
: > "$r/etc/machine-id"
rm -f "$r/var/lib/dbus/machine-id"
for u in getty.target systemd-udevd.service systemd-udev-trigger.service systemd-remount-fs.service \
         systemd-firstboot.service console-getty.service sys-kernel-config.mount sys-kernel-debug.mount; do
  ln -sf /dev/null "$r/etc/systemd/system/$u"
done
# The test image's watchdog for stuck apt methods (files/usr/local/sbin/odoo-ops-apt-watchdog).
mkdir -p "$r/etc/systemd/system/timers.target.wants"
ln -sf /etc/systemd/system/odoo-ops-apt-watchdog.timer "$r/etc/systemd/system/timers.target.wants/odoo-ops-apt-watchdog.timer"
sed -i 's/^# *\(en_US.UTF-8\)/\1/' "$r/etc/locale.gen"
chroot "$r" locale-gen >/dev/null
chroot "$r" apt-get clean
# No package lists or caches in the image: roles must refresh them (as on a new VM).
rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin
# Ansible's apt cache_valid_time reads the lists dir mtime: make it look stale.
touch -d @0 "$r/var/lib/apt/lists"
tar -C "$r" -c . | docker import \
  -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
  - "$ref" >/dev/null
docker tag "$ref" "$repo:latest"
echo "$ref"
