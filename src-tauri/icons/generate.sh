#!/usr/bin/env bash
# Regenerate icon.png, the studio's placeholder icon (committed; Tauri needs
# an RGBA PNG listed in tauri.conf.json `bundle.icon`). Needs imagemagick.
# A balance beam ("mizan" means balance) drawn from plain shapes, so no
# font is required.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
convert -size 256x256 xc:none \
    -fill '#1f4e8c' -draw 'roundrectangle 8,8 247,247 48,48' \
    -fill '#f6f7f9' \
    -draw 'rectangle 122,56 133,196' \
    -draw 'rectangle 56,84 199,95' \
    -draw 'polygon 64,95 40,150 88,150' \
    -draw 'polygon 192,95 168,150 216,150' \
    -draw 'rectangle 88,190 167,202' \
    -define png:color-type=6 PNG32:icon.png
