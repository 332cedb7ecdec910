# Sourced by main.sh and test.sh: installs what a fresh Debian/Ubuntu machine lacks, then builds Release.
# OpenCvSharp's native runtime links against GTK 3.
if ! { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libgtk-3.so.0'; then
  echo "Installing libgtk-3-0 (needed by OpenCV's native runtime)…"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libgtk-3-0 >/dev/null
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Augment.sln -c Release -nologo -v quiet -clp:ErrorsOnly
