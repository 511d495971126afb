#!/usr/bin/env bash
# Installs or upgrades benchloop on Raspberry Pi OS or Debian (64-bit), as root:
#   sudo deploy/install/install.sh [--config node.yaml] [--credentials DIR]
# What it does, in order (docs/deploy.md has the why):
#   1. checks for a 64-bit OS (onnxruntime-node ships no 32-bit ARM build) and Node.js 20+;
#   2. installs what native addons need to build (build-essential, python3) with apt;
#   3. creates the benchloop user and the gpio and i2c groups;
#   4. copies this release to /opt/benchloop/releases/VERSION-TIME, runs npm ci there
#      (ONNX Runtime's download skipped, addons built from source), and points
#      /opt/benchloop/current at it; the release before stays for a rollback;
#   5. installs the systemd unit, the udev rules and /usr/local/bin/benchloop;
#   6. creates /etc/benchloop and /var/lib/benchloop, never touching what is in them
#      (an upgrade keeps the config, the data directory and the outbox);
#   7. enables the service, and (re)starts it when a node config is in place.
#   install.sh --rollback points /opt/benchloop/current back at the previous release.
# --root DIR installs into DIR instead of / (an image being built, or a test): then
# the user database is DIR/etc (useradd --prefix) and no service is started.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: install.sh [options]
  --config FILE        node configuration to install as /etc/benchloop/node.yaml (kept if one exists)
  --credentials DIR    copy the credential files in DIR (mqtt-password, ca.pem, client.pem, client.key)
  --node-tarball FILE  install Node.js from this official linux-arm64/x64 tarball into /opt/benchloop/node
  --source DIR         the benchloop release to install (default: the one holding this script)
  --root DIR           install into DIR instead of / (image building, tests)
  --no-apt             do not install Debian packages
  --no-start           enable the service but do not start it
  --keep N             releases to keep (default 3)
  --rollback           switch back to the previous release and restart
USAGE
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

ROOT=/
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONFIG=""
CREDENTIALS=""
NODE_TARBALL=""
APT=1
START=1
KEEP=3
ROLLBACK=0
while (($# > 0)); do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --source) SOURCE="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --credentials) CREDENTIALS="$2"; shift 2 ;;
    --node-tarball) NODE_TARBALL="$2"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --no-start) START=0; shift ;;
    --keep) KEEP="$2"; shift 2 ;;
    --rollback) ROLLBACK=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

ROOT="${ROOT%/}"
LIVE=0
[[ -z "$ROOT" ]] && LIVE=1
[[ "$(id -u)" == 0 ]] || die "run as root: sudo $0 $*"

OPT="$ROOT/opt/benchloop"
ETC="$ROOT/etc/benchloop"
DATA="$ROOT/var/lib/benchloop"
USER_NAME=benchloop

restart_service() {
  if ((LIVE == 0)); then
    echo "not restarting benchloop: installing into $ROOT, not the running system"
  elif ((START == 1)) && [[ -f "$ETC/node.yaml" ]]; then
    systemctl restart benchloop.service
    echo "benchloop restarted: journalctl -u benchloop -f"
  else
    echo "benchloop not started: put a node configuration in /etc/benchloop/node.yaml (benchloop provision), then: sudo systemctl start benchloop"
  fi
}

if ((ROLLBACK == 1)); then
  [[ -L "$OPT/previous" ]] || die "no previous release to go back to ($OPT/previous is missing)"
  current="$(readlink "$OPT/current")"
  previous="$(readlink "$OPT/previous")"
  ln -sfn "$previous" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current"
  ln -sfn "$current" "$OPT/previous.new" && mv -T "$OPT/previous.new" "$OPT/previous"
  echo "rolled back: $OPT/current -> $previous (was $current)"
  restart_service
  exit 0
fi

# 1. A 64-bit userland: `uname -m` is not enough, a 32-bit Raspberry Pi OS runs a 64-bit kernel on a Pi 4.
arch="$(dpkg --print-architecture 2>/dev/null || true)"
case "$arch" in
  arm64 | amd64) ;;
  armhf | armel | i386)
    die "this is a 32-bit system ($arch). benchloop needs a 64-bit OS: onnxruntime-node ships no 32-bit ARM build. Flash Raspberry Pi OS (64-bit) or Debian arm64 and run this again." ;;
  *)
    [[ "$(getconf LONG_BIT)" == 64 ]] || die "this is a 32-bit system. benchloop needs a 64-bit OS: onnxruntime-node ships no 32-bit ARM build."
    ;;
esac

# 2. Debian packages: a compiler and Python for node-gyp (native addons build from source), Node.js.
if ((APT == 1)); then
  packages=(build-essential python3 ca-certificates)
  if [[ -z "$NODE_TARBALL" ]] && ! command -v node >/dev/null 2>&1; then packages+=(nodejs npm); fi
  echo "installing Debian packages: ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
# NODE_BIN is the path the service runs; NODE_RUN the same program as this script can run it (under --root).
NODE_BIN="$(command -v node || true)"
NODE_RUN="$NODE_BIN"
if [[ -n "$NODE_TARBALL" ]]; then
  mkdir -p "$OPT/node"
  tar -xf "$NODE_TARBALL" -C "$OPT/node" --strip-components=1
  NODE_BIN=/opt/benchloop/node/bin/node
  NODE_RUN="$OPT/node/bin/node"
  export PATH="$OPT/node/bin:$PATH"
fi
[[ -n "$NODE_BIN" ]] || die "Node.js is not installed: install Node.js 20 or later (or pass --node-tarball), then run this again"
node_version="$("$NODE_RUN" -p 'process.versions.node + " " + process.arch')"
[[ "${node_version%%.*}" -ge 20 ]] || die "Node.js ${node_version%% *} is too old: benchloop needs 20 or later. On Raspberry Pi OS Bookworm apt has 18: use Node.js' own arm64 tarball (--node-tarball) or NodeSource (docs/deploy.md)"
case "${node_version##* }" in
  arm64 | x64) ;;
  *) die "Node.js is a 32-bit build (${node_version##* }): benchloop needs a 64-bit Node.js (onnxruntime-node ships no 32-bit ARM build)" ;;
esac

# 3. The service user and the groups that own the buses.
prefix=()
((LIVE == 1)) || prefix=(--prefix "$ROOT")
has_group() { grep -q "^$1:" "$ROOT/etc/group"; }
for group in gpio i2c; do
  has_group "$group" || groupadd "${prefix[@]}" --system "$group"
done
if ! grep -q "^$USER_NAME:" "$ROOT/etc/passwd"; then
  useradd "${prefix[@]}" --system --user-group --home-dir /var/lib/benchloop --no-create-home \
    --shell /usr/sbin/nologin --comment "benchloop daemon" "$USER_NAME"
fi
usermod "${prefix[@]}" -a -G gpio,i2c "$USER_NAME"
uid="$(awk -F: -v u="$USER_NAME" '$1 == u { print $3 }' "$ROOT/etc/passwd")"
gid="$(awk -F: -v u="$USER_NAME" '$1 == u { print $4 }' "$ROOT/etc/passwd")"

# 4. The release, beside the ones before it.
[[ -f "$SOURCE/dist/src/cli/main.js" ]] || die "$SOURCE has no dist/: build it first (npm ci && npm run build) or use a release tarball (deploy/install/make-release.sh)"
[[ -f "$SOURCE/package-lock.json" ]] || die "$SOURCE has no package-lock.json: npm ci needs it"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$SOURCE/package.json")"
release="$version-$(date -u +%Y%m%dT%H%M%SZ)"
n=1
while [[ -e "$OPT/releases/$release" ]]; do release="$version-$(date -u +%Y%m%dT%H%M%SZ)-$((++n))"; done
target="$OPT/releases/$release"
mkdir -p "$target"
cp -a "$SOURCE/package.json" "$SOURCE/package-lock.json" "$SOURCE/README.md" "$target/"
cp -a "$SOURCE/deploy" "$SOURCE/docs" "$target/"
mkdir -p "$target/dist"
cp -a "$SOURCE/dist/src" "$SOURCE/dist/devices" "$target/dist/"
echo "installing dependencies in $target (native addons build from source: a few minutes on a Pi)"
(
  cd "$target"
  # onnxruntime-node: CPU binaries ship in the package; its install script would download CUDA ones.
  export ONNXRUNTIME_NODE_INSTALL=skip
  # Prebuilt-binary downloads of better-sqlite3, i2c-bus and pigpio are not reachable from every lab network.
  export npm_config_build_from_source=true
  npm ci --omit=dev --no-audit --no-fund
)
if [[ -L "$OPT/current" ]]; then
  ln -sfn "$(readlink "$OPT/current")" "$OPT/previous.new" && mv -T "$OPT/previous.new" "$OPT/previous"
fi
ln -sfn "releases/$release" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current"
echo "release $release is $OPT/current"
# Older releases go, but never the current or the previous one.
keep_current="$(readlink "$OPT/current")"
keep_previous="$(readlink "$OPT/previous" 2>/dev/null || true)"
mapfile -t releases < <(find "$OPT/releases" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2)
for old in "${releases[@]:$KEEP}"; do
  [[ "releases/$old" == "$keep_current" || "releases/$old" == "$keep_previous" ]] && continue
  rm -rf "${OPT:?}/releases/$old"
done

# 5. The unit, the udev rules, the command.
unit="$ROOT/etc/systemd/system/benchloop.service"
mkdir -p "$(dirname "$unit")" "$ROOT/etc/udev/rules.d" "$ROOT/usr/local/bin"
sed "s|/usr/bin/node |$NODE_BIN |g" "$SOURCE/deploy/systemd/benchloop.service" >"$unit"
chmod 0644 "$unit"
install -m 0644 "$SOURCE/deploy/udev/99-benchloop.rules" "$ROOT/etc/udev/rules.d/99-benchloop.rules"
cat >"$ROOT/usr/local/bin/benchloop" <<WRAPPER
#!/bin/sh
exec $NODE_BIN /opt/benchloop/current/dist/src/cli/main.js "\$@"
WRAPPER
chmod 0755 "$ROOT/usr/local/bin/benchloop"

# 6. Configuration and data: created once, kept across upgrades.
install -d -m 0700 -o "$uid" -g "$gid" "$ETC" "$DATA"
if [[ -n "$CONFIG" ]]; then
  if [[ -f "$ETC/node.yaml" ]]; then
    echo "keeping the existing $ETC/node.yaml (not replaced by $CONFIG)"
  else
    install -m 0600 -o "$uid" -g "$gid" "$CONFIG" "$ETC/node.yaml"
    echo "installed $CONFIG as $ETC/node.yaml"
  fi
fi
if [[ -n "$CREDENTIALS" ]]; then
  for name in mqtt-password ca.pem client.pem client.key; do
    [[ -f "$CREDENTIALS/$name" ]] || continue
    if [[ -f "$ETC/$name" ]]; then
      echo "keeping the existing $ETC/$name"
    else
      install -m 0600 -o "$uid" -g "$gid" "$CREDENTIALS/$name" "$ETC/$name"
      echo "installed $ETC/$name (mode 600)"
    fi
  done
fi

# 7. The service.
if ((LIVE == 1)); then
  # The rules apply to devices present now too; a machine without udev (a container) goes on without.
  if udevadm control --reload-rules; then
    udevadm trigger --subsystem-match=gpio --subsystem-match=i2c-dev --subsystem-match=pwm || true
  fi
  systemctl daemon-reload
  systemctl enable benchloop.service
else
  systemctl --root="$ROOT" enable benchloop.service
fi
restart_service
echo "check the node with: sudo -u benchloop benchloop doctor --config /etc/benchloop/node.yaml"
