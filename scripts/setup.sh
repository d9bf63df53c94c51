#!/usr/bin/env bash
# Set up a fresh machine: Fashion-MNIST from Debian's package, a virtual environment in .venv with
# torch and this project. Idempotent: rerunning it only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ -z "${REPRO_DATA:-}" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Fashion-MNIST (Debian package dataset-fashion-mnist)"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

# Headless Chromium renders reports/index.html in a test (Debian's package; no browser download).
if ! command -v chromium >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Chromium (Debian package chromium) for the test that renders reports/index.html"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv"
  python3 -m venv .venv
fi
# pip's own lines name each package it collects, so a long step is never silent.
pip_install() {
  .venv/bin/pip install --progress-bar off "$@" 2>&1 | grep -E --line-buffered "^(Collecting|Installing|Successfully|ERROR)" || true
}
# torch and torchvision first, pinned: these releases are on this machine's disk (others download gigabytes).
echo "setup: installing torch 2.14.1 and torchvision 0.29.1 into .venv (about a minute when new)"
pip_install torch==2.14.1 torchvision==0.29.1
echo "setup: installing repro and its test dependencies (duckdb, h5py, pytest, ray, ...; a few minutes when new)"
pip_install -e '.[test]'
.venv/bin/python -c "import repro, torch, duckdb, h5py; print('setup: ok, torch', torch.__version__)"
