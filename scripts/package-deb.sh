#!/usr/bin/env bash
# npm run package:deb [-- --no-build] [--out DIR]: build/deb/tcplens_<version>_<arch>.deb with
# dpkg-deb. It holds the built addon (the eBPF objects are compiled into it
# as skeletons), dist/src, the schema and proto files run reads, production
# node_modules, /usr/bin/tcplens, the systemd unit and /etc/tcplens/tcplens.json
# (a conffile); postinst makes the tcplens system user. Depends: Node 20+,
# adduser, and the shared libraries the addon links, found by dpkg-shlibdeps
# (no compiler, no -dev package). Prints the .deb's path last.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1 out=build/deb
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --out) out="$2"; shift ;;
    *) echo "package-deb: unknown option '$1' (--no-build, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done

for tool in dpkg-deb dpkg-shlibdeps npm; do
  command -v "$tool" >/dev/null || { echo "package-deb: $tool not found (apt-get install dpkg-dev)" >&2; exit 1; }
done

if [ "$build" = 1 ]; then
  if [ -f build/Release/tcplens.node ]; then npm run --silent build:ts; else npm run --silent build; fi
fi
[ -f build/Release/tcplens.node ] || { echo "package-deb: build/Release/tcplens.node missing: npm run build" >&2; exit 1; }
[ -f dist/src/cli/main.js ] || { echo "package-deb: dist/src missing: npm run build:ts" >&2; exit 1; }
# a package for a fleet carries the eBPF views: refuse an addon built without them
if [ -f bpf/.output/bpf_skipped.h ] || ! ls bpf/.output/*.skel.h >/dev/null 2>&1; then
  echo "package-deb: the addon was built without the eBPF views (see bpf/.output/bpf_skipped.h): install clang, bpftool, libbpf-dev and run npm run build" >&2
  exit 1
fi

version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
name="tcplens_${version}_${arch}"
stage="build/deb/$name"
rm -rf "$stage"
lib="$stage/usr/lib/tcplens"
mkdir -p "$lib/bin" "$lib/build/Release" "$lib/dist" "$stage/usr/bin" "$stage/lib/systemd/system" \
  "$stage/etc/tcplens" "$stage/usr/share/doc/tcplens" "$stage/DEBIAN"

# what `tcplens` reads at run time: its code, the addon, package.json (version),
# schema/ (migrations, queries) and proto/ (spool records)
cp package.json package-lock.json "$lib/"
cp bin/tcplens.js "$lib/bin/"
cp build/Release/tcplens.node "$lib/build/Release/"
(cd dist && find src -name '*.js' -print0 | cpio -0pdm --quiet "../$lib/dist")
cp -r schema proto "$lib/"
# production dependencies from the lock file (npm's cache after bootstrap: no
# download); no install scripts, as none of them builds anything
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
# node-addon-api is headers for the addon's build, not used at run time
rm -rf "$lib/node_modules/node-addon-api" "$lib/package-lock.json"

ln -s ../lib/tcplens/bin/tcplens.js "$stage/usr/bin/tcplens"
cp deploy/systemd/tcplens.service "$stage/lib/systemd/system/"
cp deploy/debian/tcplens.json "$stage/etc/tcplens/"
cp README.md "$stage/usr/share/doc/tcplens/"
cp -r docs "$stage/usr/share/doc/tcplens/"
printf 'tcplens\nLicense: Apache-2.0 (see /usr/share/common-licenses/Apache-2.0)\n' > "$stage/usr/share/doc/tcplens/copyright"
for s in postinst prerm postrm; do cp "deploy/debian/$s" "$stage/DEBIAN/"; done
echo /etc/tcplens/tcplens.json > "$stage/DEBIAN/conffiles"

# the files' modes, whatever this checkout's umask was
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/bin/tcplens.js" "$stage"/DEBIAN/{postinst,prerm,postrm}

# shared libraries of every ELF object in the package (the addon), as Debian
# package names with versions; dpkg-shlibdeps wants a debian/control around it
shl=$(mktemp -d)
trap 'rm -rf "$shl"' EXIT
mkdir "$shl/debian"
printf 'Source: tcplens\n\nPackage: tcplens\nArchitecture: any\n' > "$shl/debian/control"
mapfile -t elves < <(find "$PWD/$stage" -type f \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \))
shlibs=$(cd "$shl" && dpkg-shlibdeps -O "${elves[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "package-deb: dpkg-shlibdeps found no libraries for ${elves[*]}" >&2; exit 1; }

cat > "$stage/DEBIAN/control" <<EOF
Package: tcplens
Version: $version
Architecture: $arch
Maintainer: tcplens developers <tcplens@invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: nodejs (>= 20), adduser, $shlibs
Section: net
Priority: optional
Description: TCP observability sidecar (inet_diag, sock_diag, eBPF)
 tcplens watches every TCP socket of the host, in every network namespace,
 through four kernel views at once (inet_diag poll, sock_diag destroy
 multicast, eBPF events and task samples), joins them per flow, and writes
 them to ClickHouse, with Prometheus metrics.
EOF

mkdir -p "$out"
dpkg-deb --root-owner-group --build "$stage" "$out/$name.deb" >/dev/null
echo "$out/$name.deb"
