#!/usr/bin/env bash
# Install Mesa's lavapipe (a multi-threaded CPU Vulkan driver, AVX2 lanes) as a second WebGPU driver for
# Node, without touching the system's Mesa or Chromium: the `mesa-vulkan-drivers` package of Debian's
# bookworm-backports suite (Mesa 25; bookworm's own 22.3 is rejected by Dawn) is unpacked into
#   ${POLICYGRAD_DRIVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/policygrad}/lavapipe/
# with an ICD file (lvp_icd.json) whose library_path is absolute. policygrad finds it there
# (`--adapter lavapipe`, POLICYGRAD_ADAPTER=lavapipe; src/backends/gpu/device.ts `lavapipeIcdPath`).
# Idempotent: does nothing when the driver is already unpacked. Needs root for apt.
set -euo pipefail

dir="${POLICYGRAD_DRIVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/policygrad}/lavapipe"
icd="$dir/lvp_icd.json"
if [ -f "$icd" ] && [ -f "$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" ]; then
  echo "lavapipe: already installed ($icd)"
  exit 0
fi

# Reach the backports suite through the existing Debian entry (deb822), never a new host line.
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src"; then
  sed -i '0,/^Suites: bookworm\( bookworm-updates\)\?$/s//& bookworm-backports/' "$src"
fi
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "lavapipe: could not add bookworm-backports to apt's Debian sources ($src)" >&2
  exit 1
fi
apt-get update -qq
# the driver's shared-library dependencies, from bookworm itself (libdrm 2.4.114 serves it)
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 libllvm15 libelf1 libexpat1 libzstd1 \
  libwayland-client0 libx11-xcb1 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 \
  libxcb-xfixes0 libxshmfence1 >/dev/null

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get download -qq mesa-vulkan-drivers/bookworm-backports 2>/dev/null )
rm -rf "$dir" && mkdir -p "$dir"
dpkg -x "$tmp"/mesa-vulkan-drivers_*.deb "$dir/root"
lib="$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
[ -f "$lib" ] || { echo "lavapipe: $lib missing from the package" >&2; exit 1; }
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib\"#" "$dir/root/usr/share/vulkan/icd.d/lvp_icd.json" > "$icd"
echo "lavapipe: installed $(dpkg-deb -f "$tmp"/mesa-vulkan-drivers_*.deb Version) into $dir"
