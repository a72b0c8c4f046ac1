# Helpers shared by the benchmark scripts (sourced; the caller sets $log).
# t CMD...   runs CMD with its output in $log, prints the seconds it took (the log's tail on failure)
# recap      the last PLAY RECAP in $log, one "host : ok=.. changed=.." per host (plain
#            ansible-playbook output or molecule's boxed, coloured output)
# changed    the sum of `changed` over that recap
t() { local s; s=$(date +%s.%N); "$@" >"$log" 2>&1 || { tail -60 "$log"; exit 1; }; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{print b - a}'; }
recap() { sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/PLAY RECAP/{r=""} /[a-z0-9.-]+ +: ok=/{sub(/^.*[│|] */, ""); sub(/^ +/, ""); gsub(/  +/, " "); r=r $0 ";"} END{print r}'; }
changed() { recap | grep -oE 'changed=[0-9]+' | awk -F= '{s+=$2} END{print s+0}'; }
# machine    one line: cores, memory, OS, date and load (every script prints it first)
machine() { echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"; }
# fresh_scenario NAME   the harness up, then molecule scenario NAME destroyed, created and prepared
#            (not converged); it is destroyed again when the script exits
fresh_scenario() {
  make harness >/dev/null
  # shellcheck disable=SC1091
  source .cache/infra.env
  # shellcheck disable=SC2064
  trap "molecule destroy -s $1 >/dev/null 2>&1 || true" EXIT
  molecule destroy -s "$1" >/dev/null 2>&1 || true
  t molecule create -s "$1" >/dev/null
  t molecule prepare -s "$1" >/dev/null
}
