#!/usr/bin/env bash
# End-to-end test of deploy/slurm on a real single-node Slurm cluster, started here (as root, on
# Debian or Ubuntu): installs slurm-wlm and munge when missing, starts munged, slurmctld and slurmd
# on a private configuration in a temporary folder (nothing under /etc is changed, other ports
# than a system Slurm's), submits `xai compare` over the demo model's samples as a 4-task array
# plus the dependent merge, requeues one task halfway and a finished one again, and checks that
# - the requeued task resumed its shard and ends with the results.json of a shard run once,
# - the finished task run twice rewrites the same results.json,
# - the merged results.json equals a single local run's.
# Every process it starts is stopped on exit, also on failure or interruption. Every wait has a
# timeout. Ends with `slurm e2e: 4 shards merged, equal to a single run`.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SHARDS=4
DATA=$REPO/packages/zoo/samples
# Quick but real: a CAM and an input gradient on the 8 samples, with both metrics and (the samples
# have masks) both pointing games.
OPTIONS=(--methods grad-cam,saliency)
WAIT=${XAI_SLURM_E2E_WAIT:-240} # seconds any one wait may last
NODE=xai-e2e

say() { echo "slurm e2e: $*"; }
die() {
  echo "slurm e2e: FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run it as root: slurmd runs jobs as their user, and missing packages are installed with apt-get"

RUN=$(mktemp -d /tmp/xai-slurm-e2e.XXXXXX)
chmod 755 "$RUN" # munged needs its socket's folder searchable by everyone
# Every process started from here on carries this variable (slurmd passes it on to slurmstepd, sbatch
# to the jobs): the cleanup finds what is left by it, whatever started it.
export XAI_SLURM_E2E=$RUN
export SLURM_CONF=$RUN/slurm.conf
created_policy=
passed=

# The pids of the processes carrying XAI_SLURM_E2E=$RUN (read with builtins only, so that the
# search itself starts none).
ours() {
  local dir pid entry
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
    while IFS= read -r -d '' entry; do
      if [ "$entry" = "XAI_SLURM_E2E=$RUN" ]; then
        echo "$pid"
        break
      fi
    done 2> /dev/null < "$dir/environ" || true
  done
}

stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  kill -TERM "$pid" 2> /dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2> /dev/null || true
}

cleanup() {
  local rc=$? left
  trap - EXIT INT TERM
  set +e
  if [ -f "$RUN/slurmctld.pid" ]; then
    timeout 10 scancel --quiet --user=root 2> /dev/null
    for _ in $(seq 50); do [ -z "$(timeout 5 squeue -h -o %i 2> /dev/null)" ] && break; sleep 0.2; done
  fi
  stop_pidfile "$RUN/slurmd.pid"
  stop_pidfile "$RUN/slurmctld.pid"
  stop_pidfile "$RUN/munged.pid"
  left=$(ours)
  if [ -n "$left" ]; then
    kill -TERM $left 2> /dev/null
    sleep 1
    left=$(ours)
    [ -n "$left" ] && kill -KILL $left 2> /dev/null && sleep 0.5
  fi
  left=$(ours)
  [ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
  if [ -n "$left" ]; then
    echo "slurm e2e: FAILED: processes it started are still running: $left" >&2
    rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    for log in "$RUN"/slurmctld.log "$RUN"/slurmd.log "$RUN"/logs/*.log; do
      [ -f "$log" ] && { echo "--- last lines of $log"; tail -n 25 "$log"; }
    done >&2
    echo "slurm e2e: FAILED (exit $rc); no process of it is left; its files are kept in $RUN" >&2
    exit "$rc"
  fi
  rm -rf "$RUN"
  say "stopped munged, slurmctld, slurmd and every job; no process of it is left (${SECONDS}s in all)"
  [ -n "$passed" ] && say "$SHARDS shards merged, equal to a single run"
  exit 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until the command succeeds, at most WAIT seconds, giving up at once on a hopeless queue.
wait_for() {
  local what=$1 deadline=$((SECONDS + WAIT))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "gave up after ${WAIT}s waiting for $what"
    no_hopeless_jobs
    sleep 0.1
  done
}

# A task that failed leaves the merge pending for ever (DependencyNeverSatisfied): stop at once.
no_hopeless_jobs() {
  [ -f "$RUN/slurmctld.pid" ] || return 0
  if timeout 10 squeue -h -o '%i %r' | grep -q DependencyNeverSatisfied; then
    die "a task failed, so the merge can never start: $(timeout 10 squeue -h -o '%i %T %r' | tr '\n' ';')"
  fi
}

# Runs a command in the background and waits for it, so that a signal interrupts the wait at once
# (the cleanup then stops the command).
run() {
  "$@" &
  wait $!
}

# --- Slurm and munge --------------------------------------------------------------------------
if ! command -v munged > /dev/null || ! command -v slurmctld > /dev/null || ! command -v slurmd > /dev/null || ! command -v sbatch > /dev/null; then
  command -v apt-get > /dev/null || die "Slurm is not installed and there is no apt-get: install slurm-wlm and munge"
  say "installing slurm-wlm and munge with apt-get"
  # The packages' scripts must not start system-wide daemons: refuse them for the install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt_install() { run env DEBIAN_FRONTEND=noninteractive timeout 240 apt-get install -y -qq --no-install-recommends slurm-wlm munge; }
  if ! apt_install > "$RUN/apt.log" 2>&1; then
    { run timeout 240 apt-get update -qq && apt_install; } >> "$RUN/apt.log" 2>&1 || die "apt-get could not install slurm-wlm munge: $(tail -n 5 "$RUN/apt.log")"
  fi
  rm -f "$RUN/apt.log"
  [ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d && created_policy=
fi
say "$(slurmctld -V), munge $(munged -V 2>&1 | head -n 1 | awk "{print \$1}" | sed "s/^munge-//") (at ${SECONDS}s)"

# --- the CLI ------------------------------------------------------------------------------------
if [ ! -f apps/cli/dist/bin.js ]; then
  say "building the CLI (apps/cli/dist/bin.js is missing)"
  run timeout 600 pnpm install --frozen-lockfile
  run timeout 600 pnpm build --filter=@xai/cli...
fi
XAI_BIN=$REPO/apps/cli/dist/bin.js
export XAI="node $XAI_BIN" # what deploy/slurm's scripts run

# --- a single-node cluster --------------------------------------------------------------------
free_ports() { node -e 'const net = require("node:net"); const a = net.createServer().listen(0, "127.0.0.1", () => { const b = net.createServer().listen(0, "127.0.0.1", () => { console.log(a.address().port, b.address().port); a.close(); b.close(); }); });'; }
read -r CTLD_PORT SLURMD_PORT <<< "$(free_ports)"
[ -n "${SLURMD_PORT:-}" ] || die "could not find two free ports"
HOST=$(hostname -s)
mkdir -p "$RUN/state" "$RUN/spool" "$RUN/logs" "$RUN/out"
cat > "$SLURM_CONF" << EOF
ClusterName=xai-e2e
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$RUN/munge.socket,cred_expire=10
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$RUN/state
SlurmdSpoolDir=$RUN/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$RUN/slurmctld.log
SlurmdLogFile=$RUN/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd here, so no sacct: job states come from slurmctld (kept MinJobAge seconds) and this log.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$RUN/jobcomp.log
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobRequeue=1
MinJobAge=900
KillWait=5
ReturnToService=2
NodeName=$NODE NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=30 State=UP
EOF
dd if=/dev/urandom of="$RUN/munge.key" bs=1024 count=1 status=none
chmod 400 "$RUN/munge.key"
munged --socket="$RUN/munge.socket" --key-file="$RUN/munge.key" --pid-file="$RUN/munged.pid" \
  --log-file="$RUN/munged.log" --seed-file="$RUN/munged.seed" || die "munged did not start: $(tail -n 3 "$RUN/munged.log")"
slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N "$NODE" || die "slurmd did not start"
node_idle() { [ "$(timeout 10 sinfo -h -n "$NODE" -o %T 2> /dev/null)" = idle ]; }
wait_for "node $NODE to be idle" node_idle
say "cluster up after ${SECONDS}s: slurmctld on port $CTLD_PORT, slurmd on $SLURMD_PORT, node $NODE with $(nproc) CPUs"

# --- the array and the merge ------------------------------------------------------------------
job_id() { cut -d';' -f1; }
ARRAY=$(timeout 10 sbatch --parsable --array=0-$((SHARDS - 1)) --chdir="$RUN" --output="$RUN/logs/compare-%A_%a.log" \
  deploy/slurm/xai-compare.sbatch "$DATA" "$RUN/out" "${OPTIONS[@]}" | job_id)
MERGE=$(timeout 10 sbatch --parsable --dependency=afterok:"$ARRAY" --chdir="$RUN" --output="$RUN/logs/merge-%j.log" \
  deploy/slurm/xai-merge.sbatch "$RUN/out" | job_id)
say "submitted array $ARRAY (tasks 0-$((SHARDS - 1))) and merge $MERGE (afterok:$ARRAY)"

# The shard holding the most images is requeued halfway: after its first image, before its last.
read -r -a SIZES <<< "$(node --input-type=module -e "
  import { resolve } from 'node:path';
  const { imageItems, listImagesStrictly } = await import('$REPO/apps/cli/dist/inputs.js');
  const { shardOf } = await import('$REPO/apps/cli/dist/results.js');
  const counts = new Array($SHARDS).fill(0);
  for (const item of imageItems(await listImagesStrictly(['$DATA'], 'compare'))) counts[shardOf(resolve(item.path), $SHARDS)]++;
  console.log(counts.join(' '));")"
[ "${#SIZES[@]}" -eq "$SHARDS" ] || die "could not count the images of each shard"
VICTIM=0
for i in "${!SIZES[@]}"; do [ "${SIZES[$i]}" -gt "${SIZES[$VICTIM]}" ] && VICTIM=$i; done
VICTIM_SHARD=$((VICTIM + 1))
VICTIM_DIR=$RUN/out/shard-$VICTIM_SHARD-of-$SHARDS
say "images per shard: ${SIZES[*]}; task $VICTIM (shard $VICTIM_SHARD, ${SIZES[$VICTIM]} images) will be requeued halfway"
[ "${SIZES[$VICTIM]}" -ge 2 ] || die "no shard holds 2 images, so none can be stopped halfway"

task_state() { timeout 10 scontrol -o show job "${ARRAY}_$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
halfway() {
  local done
  [ -f "$VICTIM_DIR/results.json" ] && die "shard $VICTIM_SHARD finished before it could be requeued halfway"
  done=$(find "$VICTIM_DIR/items" -maxdepth 1 -name '*.json' 2> /dev/null | wc -l)
  [ "$done" -ge 1 ] && [ "$(task_state "$VICTIM")" = RUNNING ]
}
wait_for "task $VICTIM to finish its first image" halfway
timeout 10 scontrol requeue "${ARRAY}_$VICTIM"
say "requeued task $VICTIM while running, with $(find "$VICTIM_DIR/items" -maxdepth 1 -name '*.json' | wc -l) of ${SIZES[$VICTIM]} images written"

# While it waits to start again: the reference runs, on this machine without Slurm.
run timeout 300 node "$XAI_BIN" compare "$DATA" "${OPTIONS[@]}" --out "$RUN/single" --quiet > /dev/null
run timeout 300 node "$XAI_BIN" compare "$DATA" "${OPTIONS[@]}" --shard "$VICTIM_SHARD/$SHARDS" --out "$RUN/once" --quiet > /dev/null
say "ran the single local run and shard $VICTIM_SHARD once, locally (at ${SECONDS}s)"

queue_empty() { [ -z "$(timeout 10 squeue -h -o %i)" ]; }
wait_for "the array and the merge to finish" queue_empty

# --- checks -------------------------------------------------------------------------------------
field() { grep -o "$2=[^ ]*" <<< "$1" | head -n 1 | cut -d= -f2; }
for task in $(seq 0 $((SHARDS - 1))); do
  line=$(timeout 10 scontrol -o show job "${ARRAY}_$task")
  [ "$(field "$line" JobState)" = COMPLETED ] && [ "$(field "$line" ExitCode)" = 0:0 ] ||
    die "task $task ended $(field "$line" JobState) with exit code $(field "$line" ExitCode)"
done
line=$(timeout 10 scontrol -o show job "$MERGE")
[ "$(field "$line" JobState)" = COMPLETED ] && [ "$(field "$line" ExitCode)" = 0:0 ] ||
  die "the merge ended $(field "$line" JobState) with exit code $(field "$line" ExitCode)"
restarts=$(field "$(timeout 10 scontrol -o show job "${ARRAY}_$VICTIM")" Restarts)
[ "$restarts" = 1 ] || die "task $VICTIM was restarted $restarts times, not once"

# The requeued task started twice into the same folder, and its second attempt resumed halfway.
victim_log=$RUN/logs/compare-${ARRAY}_$VICTIM.log
grep -q "shard $VICTIM_SHARD/$SHARDS, attempt 2" "$victim_log" || die "$victim_log shows no second attempt of shard $VICTIM_SHARD"
resumed=$(grep -o 'reusing [0-9]* of [0-9]* results' "$victim_log" | tail -n 1)
read -r kept total <<< "$(awk '{print $2, $4}' <<< "$resumed")"
[ -n "$resumed" ] && [ "$kept" -gt 0 ] && [ "$kept" -lt "$total" ] ||
  die "the requeued task did not resume halfway (its log says \"${resumed:-nothing about resuming}\")"
say "task $VICTIM resumed: $resumed"

# Requeued halfway = run once: the same results.json, the same items and maps.
cmp -s "$VICTIM_DIR/results.json" "$RUN/once/results.json" || die "shard $VICTIM_SHARD requeued halfway differs from shard $VICTIM_SHARD run once (results.json)"
diff -r -q -x timings.json -x report.html "$VICTIM_DIR" "$RUN/once" > /dev/null || die "shard $VICTIM_SHARD requeued halfway differs from shard $VICTIM_SHARD run once: $(diff -r -q -x timings.json -x report.html "$VICTIM_DIR" "$RUN/once" | head -n 3)"
say "shard $VICTIM_SHARD requeued halfway = shard $VICTIM_SHARD run once (results.json, items and maps byte for byte)"

# A finished task requeued runs again, reuses everything and rewrites the same results.json.
AGAIN=$VICTIM # another shard with images, if there is one
for i in "${!SIZES[@]}"; do [ "$i" -ne "$VICTIM" ] && [ "${SIZES[$i]}" -gt 0 ] && AGAIN=$i && break; done
AGAIN_DIR=$RUN/out/shard-$((AGAIN + 1))-of-$SHARDS
before=$(sha256sum "$AGAIN_DIR/results.json" | cut -d' ' -f1)
timeout 10 scontrol requeue "${ARRAY}_$AGAIN"
again_log=$RUN/logs/compare-${ARRAY}_$AGAIN.log
# Done when its second attempt has started (the log says so) and the task is complete again.
again_done() { grep -q "shard $((AGAIN + 1))/$SHARDS, attempt 2" "$again_log" && [ "$(task_state "$AGAIN")" = COMPLETED ]; }
wait_for "finished task $AGAIN to run again" again_done
grep -q 'reusing \([0-9]*\) of \1 results' "$again_log" || die "task $AGAIN run again did not reuse all its results: $(grep -o 'reusing .* results' "$again_log")"
[ "$(sha256sum "$AGAIN_DIR/results.json" | cut -d' ' -f1)" = "$before" ] || die "shard $((AGAIN + 1)) run twice differs from run once"
say "shard $((AGAIN + 1)) run twice = run once (results.json sha256 ${before:0:12}…, ${SIZES[$AGAIN]} image(s))"

# The merge equals the single run: the same bytes but for what names the shards (`shard` in a run,
# `merged` in a merge) and where the maps are (in the shard folders), and maps of equal bytes.
run timeout 60 node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import { join } from 'node:path';
  const [single, merged] = ['$RUN/single', '$RUN/out/merged'];
  const read = (dir) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const a = read(single), b = read(merged);
  if (a.shard?.count !== 1 || b.merged?.count !== $SHARDS || b.merged.missing.length) throw new Error('not a single run and a complete merge');
  const maps = [];
  for (const [i, image] of b.images.entries()) {
    for (const [m, result] of Object.entries(image.methods)) {
      const local = a.images[i]?.methods[m]?.map;
      if (!local) throw new Error(image.path + ' ' + m + ': missing in the single run');
      if (!readFileSync(join(merged, result.map)).equals(readFileSync(join(single, local)))) throw new Error(image.path + ' ' + m + ': maps differ');
      maps.push(m);
      result.map = local;
    }
  }
  delete a.shard;
  delete b.merged;
  const [x, y] = [JSON.stringify(a, null, 2), JSON.stringify(b, null, 2)];
  if (x !== y) {
    const at = [...x].findIndex((c, i) => c !== y[i]);
    throw new Error('results.json differ near: ' + x.slice(Math.max(0, at - 200), at + 100));
  }
  if (!a.images.length || maps.length !== a.images.length * a.methods.length) throw new Error('nothing compared');
  console.log('slurm e2e: merged results.json = single run (' + a.images.length + ' images x ' + a.methods.length + ' methods, ' + maps.length + ' maps byte for byte)');
" || die "the merged results differ from the single run's"

passed=1
