#!/usr/bin/env bash
# Starts (or stops) a one-node Slurm cluster on this machine — munge, slurmctld and slurmd on localhost, no accounting
# daemon — for trying `executor: slurm` and for its integration test. Needs root; installs Debian's slurm-wlm and munge
# when missing. Usage: bash scripts/slurm-local.sh start|stop|status
set -euo pipefail
action="${1:-start}"
conf=/etc/slurm/slurm.conf

start() {
  # Never touch a machine's real Slurm: only a configuration this script wrote is replaced.
  if [ -f "$conf" ] && ! grep -q '^ClusterName=augment-local$' "$conf"; then
    echo "$conf belongs to another Slurm cluster; not starting the local test cluster over it." >&2
    return 1
  fi
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "Installing slurm-wlm and munge…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
  local host cpus mem
  host="$(hostname -s)"
  cpus="$(nproc)"
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
  cat > "$conf" <<CONF
ClusterName=augment-local
SlurmctldHost=$host
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chmod 400 /etc/munge/munge.key; }
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 1 30); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      # Up is not enough: a job must actually run.
      if timeout 60 sbatch --wait --quiet -o /dev/null --wrap true; then echo "Slurm is up: $(sinfo -h -o '%P %D %t %c CPUs')"; return 0; fi
      echo "Slurm is up but a test job did not run; see /var/log/slurm/" >&2
      return 1
    fi
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "Slurm did not come up; see /var/log/slurm/" >&2
  return 1
}

stop() {
  scontrol shutdown >/dev/null 2>&1 || true
  pkill -x slurmd || true
  pkill -x slurmctld || true
  pkill -x munged || true
}

case "$action" in
  start) start ;;
  stop) stop ;;
  status) sinfo && squeue ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
