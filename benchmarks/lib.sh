# Helpers shared by the benchmark scripts (sourced; the caller sets $log).
# t CMD...   runs CMD with its output in $log, prints the seconds it took (the log's tail on failure)
# recap      the last PLAY RECAP in $log, one "host : ok=.. changed=.." per host (plain
#            ansible-playbook output or molecule's boxed, coloured output)
# changed    the sum of `changed` over that recap
t() { local s; s=$(date +%s.%N); "$@" >"$log" 2>&1 || { tail -60 "$log"; exit 1; }; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{print b - a}'; }
recap() { sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/PLAY RECAP/{r=""} /[a-z0-9.-]+ +: ok=/{sub(/^.*[│|] */, ""); sub(/^ +/, ""); gsub(/  +/, " "); r=r $0 ";"} END{print r}'; }
changed() { recap | grep -oE 'changed=[0-9]+' | awk -F= '{s+=$2} END{print s+0}'; }
