#!/usr/bin/env bash
# Installs what imgfeat needs on a fresh Debian machine: system packages and a
# pinned Python virtual environment in .venv/. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < scripts/debian-packages.txt
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt ${IMGFEAT_EXTRA_REQUIREMENTS:-} | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat $stamp)" != "$want" ]]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt \
    ${IMGFEAT_EXTRA_REQUIREMENTS:+-r $IMGFEAT_EXTRA_REQUIREMENTS}
  echo "$want" > $stamp
fi

# The tests read shards made by the real writers (img2dataset, webdataset),
# whose own pins would clash with .venv's: they get a virtual environment of
# their own.
if [[ -n "${IMGFEAT_EXTRA_REQUIREMENTS:-}" ]]; then
  if [[ ! -x .venv-writers/bin/python ]]; then
    echo "setup: creating .venv-writers"
    "$PYTHON" -m venv .venv-writers
  fi
  stamp=.venv-writers/.requirements.sha256
  want=$(sha256sum requirements-writers.txt | cut -d' ' -f1)
  if [[ ! -f $stamp || "$(cat $stamp)" != "$want" ]]; then
    echo "setup: installing the shard writers into .venv-writers"
    .venv-writers/bin/python -m pip install -q --disable-pip-version-check -r requirements-writers.txt
    echo "$want" > $stamp
  fi
fi
