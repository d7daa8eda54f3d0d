// The shell script TunedNodePool ships in its ConfigMap. POSIX sh plus `sysctl`, as BusyBox has them.
// Values are read from a file, never spliced into the script, so no value can become shell code.

/** Name of the script in the ConfigMap. */
export const SCRIPT_FILE = 'tune.sh';

/** Name of the `key=value` file in the ConfigMap. */
export const CONF_FILE = 'sysctl.conf';

/** Where the ConfigMap is mounted in the containers. */
export const MOUNT_PATH = '/etc/node-tuning';

/** The script, with its three modes: apply (init container), verify (readiness), watch (main container). */
export const TUNING_SCRIPT = `#!/bin/sh
# Sets the kernel parameters listed in ${CONF_FILE} and checks them. A line "key=value" asks for
# exactly that value; "key>=value" for at least that value (a limit the node may already exceed).
#   apply   set every value that is not in place (init container)
#   verify  fail while any value is not in place (readiness probe)
#   watch   every $INTERVAL_SECONDS seconds, re-apply what drifted: kube-proxy, for one,
#           rewrites net.netfilter.nf_conntrack_max when it starts
set -eu
set -f
conf="$(dirname "$0")/${CONF_FILE}"

# The kernel separates multi-value keys with tabs: compare word by word.
words() {
  set -- $1
  printf '%s' "$*"
}

# Reads the next line into key, value and atleast; false at the end of the file.
next() {
  IFS='=' read -r key value || return 1
  atleast=
  case "$key" in *'>') key="\${key%>}"; atleast=1 ;; esac
}

# Whether the kernel holds the value asked for; sets actual.
in_place() {
  actual="$(sysctl -n "$key" 2>/dev/null)" || { actual="(unreadable)"; return 1; }
  actual="$(words "$actual")"
  [ "$actual" = "$value" ] || { [ -n "$atleast" ] && [ "$actual" -ge "$value" ] 2>/dev/null; }
}

apply() {
  status=0
  while next; do
    [ -n "$key" ] || continue
    in_place && continue
    sysctl -w "$key=$value" >/dev/null || { echo "cannot set $key to $value" >&2; status=1; }
  done < "$conf"
  return $status
}

verify() {
  status=0
  while next; do
    [ -n "$key" ] || continue
    in_place && continue
    echo "$key is $actual, want \${atleast:+at least }$value" >&2
    status=1
  done < "$conf"
  return $status
}

case "\${1:-}" in
  apply) apply && verify ;;
  verify) verify ;;
  watch)
    trap 'exit 0' TERM INT
    while :; do
      verify || { echo "re-applying" >&2; apply || true; }
      sleep "$INTERVAL_SECONDS" &
      wait $!
    done
    ;;
  *) echo "usage: $0 apply|verify|watch" >&2; exit 2 ;;
esac
`;
