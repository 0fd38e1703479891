#!/usr/bin/env bash
# Installs a ShellScope .deb on a clean Debian 12 (a debootstrap chroot) and smoke-tests it.
#
#   packaging/test-deb.sh [--reuse] DEB_FILE     install DEB_FILE and run the smoke test
#   packaging/test-deb.sh --prepare              only create the clean base system
#
# The clean base (debootstrap --variant=minbase bookworm, with bookworm-updates and security) is
# made once in $BASE (default /tmp/deb-chroot.base) and never changed; every test copies it afresh
# to $CHROOT (default /tmp/deb-chroot), which is left in place afterwards for manual checks, e.g.
#   sudo chroot /tmp/deb-chroot env QT_QPA_PLATFORM=offscreen shellscope --version
# (mount /proc, /sys and /dev into it first, as this script does). --reuse installs into the
# existing $CHROOT instead. $MIRROR (default http://deb.debian.org/debian) is the Debian mirror.
# Needs root, debootstrap and network access to the mirror.
set -euo pipefail

BASE=${BASE:-/tmp/deb-chroot.base}
CHROOT=${CHROOT:-/tmp/deb-chroot}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }

reuse=0 prepare=0 deb=
while (($#)); do
  case $1 in
    --reuse) reuse=1 ;;
    --prepare) prepare=1 ;;
    -h|--help) usage ;;
    -*) echo "test-deb: unknown option $1" >&2; usage ;;
    *) [ -z "$deb" ] || usage; deb=$1 ;;
  esac
  shift
done
((prepare)) || [ -n "$deb" ] || usage
[ "$(id -u)" -eq 0 ] || { echo "test-deb: run as root" >&2; exit 1; }
if [ -n "$deb" ]; then
  [ -f "$deb" ] || { echo "test-deb: no such file: $deb" >&2; exit 1; }
  deb=$(realpath "$deb")
fi

step() { printf '\n==> %s\n' "$*"; }

mounted=()
mount_into() {   # mount_into ROOT: /proc, /sys, /dev and /dev/pts for apt and the programs
  local root=$1
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" && mounted+=("$root/sys")
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted+=("$root/dev")
}
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R "${mounted[i]}" 2>/dev/null || umount -lR "${mounted[i]}" || true; done
  mounted=()
}
trap unmount_all EXIT

in_chroot() { chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# ---- the clean base --------------------------------------------------------------------------
if [ ! -e "$BASE/etc/debian_version" ]; then
  command -v debootstrap >/dev/null || { echo "test-deb: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
  step "debootstrap bookworm into $BASE from $MIRROR"
  rm -rf "$BASE.partial"
  debootstrap --variant=minbase bookworm "$BASE.partial" "$MIRROR" >/tmp/test-deb-debootstrap.log 2>&1 || {
    tail -n 20 /tmp/test-deb-debootstrap.log >&2; echo "test-deb: debootstrap failed" >&2; exit 1; }
  cat >"$BASE.partial/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
  rm -rf "$BASE" && mv "$BASE.partial" "$BASE"
fi
((prepare)) && { echo "test-deb: clean base ready in $BASE ($(cat "$BASE/etc/debian_version"))"; [ -n "$deb" ] || exit 0; }

# ---- a fresh copy, the package, the smoke test ------------------------------------------------
if ((reuse)) && [ -e "$CHROOT/etc/debian_version" ]; then
  step "reusing $CHROOT"
else
  step "fresh copy of the clean base in $CHROOT"
  rm -rf --one-file-system "$CHROOT"
  cp -a "$BASE" "$CHROOT"
fi
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
mount_into "$CHROOT"
cp "$deb" "$CHROOT/tmp/"
debname=$(basename "$deb")

step "apt-get install ./$debname (with its Recommends, as apt does by default)"
in_chroot apt-get update -qq
in_chroot apt-get install -y -q "/tmp/$debname" >/tmp/test-deb-apt.log 2>&1 || {
  tail -n 30 /tmp/test-deb-apt.log >&2; echo "test-deb: apt-get install failed (log: /tmp/test-deb-apt.log)" >&2; exit 1; }
grep -E '^(Need to get|After this operation|[0-9]+ upgraded)' /tmp/test-deb-apt.log || true
in_chroot dpkg-query -W -f='${Package} ${Version} ${Status}\n' shellscope

step "installed files"
in_chroot dpkg -L shellscope | grep -E '/bin/|\.desktop$|\.svg$|\.xml$'
arch=$(in_chroot dpkg --print-architecture)
multiarch=$(in_chroot sh -c 'ls -d /usr/lib/*-linux-gnu | head -n1 | xargs basename')
step "libblas.so.3 in use: $(in_chroot update-alternatives --query "libblas.so.3-$multiarch" 2>/dev/null | sed -n 's/^Value: //p') ($arch)"

step "shellscope-cli --version"
in_chroot shellscope-cli --version

step "shellscope-cli compute (builtin:tiny-lm, small)"
in_chroot rm -f /tmp/smoke.h5
in_chroot timeout 600 shellscope-cli compute --model builtin:tiny-lm --batches 2 --batch-size 2 --seq-len 32 \
  --lanczos-steps 16 --shells-per-decade 4 --seed 0 --out /tmp/smoke.h5
in_chroot shellscope-cli info /tmp/smoke.h5

if in_chroot test -x /usr/bin/shellscope; then
  step "shellscope --version (QT_QPA_PLATFORM=offscreen)"
  in_chroot env QT_QPA_PLATFORM=offscreen timeout 60 shellscope --version
  # The GUI starts, opens the session, draws every view and writes them as PNGs.
  step "shellscope --screenshots on the smoke session (QT_QPA_PLATFORM=offscreen)"
  in_chroot rm -rf /tmp/smoke-shots
  in_chroot env QT_QPA_PLATFORM=offscreen timeout 300 shellscope --screenshots /tmp/smoke-shots /tmp/smoke.h5
  shots=$(in_chroot sh -c 'ls /tmp/smoke-shots/*.png | wc -l')
  [ "$shots" -ge 8 ] || { echo "test-deb: the GUI wrote $shots screenshots" >&2; exit 1; }
  echo "$shots screenshots in $CHROOT/tmp/smoke-shots"
fi

step "test-deb: $debname installs and runs on Debian $(cat "$CHROOT/etc/debian_version"); chroot kept in $CHROOT"
