// The shell script TunedNodePool ships in its ConfigMap. POSIX sh plus `sysctl`, as BusyBox has them.
// Values are read from a file, never spliced into the script, so no value can become shell code.

/** Name of the script in the ConfigMap. */
export const SCRIPT_FILE = 'tune.sh';

/**
 * Name of the values file in the ConfigMap. Its syntax is the script's own (`>=` floors, `?`
 * optional keys), not sysctl.conf's, hence not that name.
 */
export const CONF_FILE = 'tuning.conf';

/** Where the ConfigMap is mounted in the containers. */
export const MOUNT_PATH = '/etc/node-tuning';

/** The script, with its three modes: apply (init container), verify (readiness), watch (main container). */
export const TUNING_SCRIPT = `#!/bin/sh
# Sets the kernel parameters listed in ${CONF_FILE} and checks them. A line "key=value" asks for
# exactly that value; "key>=value" for at least that value (a limit the node may already exceed);
# a leading "?" marks a key this node may not have at all (its kernel module is not loaded).
#   apply   set every value that is not in place, report the ones that cannot be (init container)
#   verify  fail while any value is not in place (readiness probe)
#   watch   every $INTERVAL_SECONDS seconds, re-apply what drifted: kube-proxy, for one,
#           rewrites net.netfilter.nf_conntrack_max when it starts
# One key the node lacks or refuses never stops the others: apply reports it and goes on, and the
# readiness probe keeps the pod unready until it is in place (unless the key is optional and absent).
set -eu
set -f
conf="$(dirname "$0")/${CONF_FILE}"
# /proc/sys, where a key exists as a file; tests point it elsewhere
proc="\${PROC_SYS:-/proc/sys}"

# The kernel separates multi-value keys with tabs: compare word by word.
words() {
  set -- $1
  printf '%s' "$*"
}

# Reads the next line into key, value, atleast and optional; false at the end of the file.
next() {
  IFS='=' read -r key value || return 1
  atleast= optional=
  case "$key" in '?'*) key="\${key#?}"; optional=1 ;; esac
  case "$key" in *'>') key="\${key%>}"; atleast=1 ;; esac
}

# Whether the node's kernel has the key: nf_conntrack_max, for one, exists only while the
# nf_conntrack module is loaded, which nodes without kube-proxy may never do.
present() {
  [ -e "$proc/$(printf '%s' "$key" | tr . /)" ]
}

# Whether the kernel holds the value asked for; sets actual.
in_place() {
  actual="$(sysctl -n "$key" 2>/dev/null)" || { actual="(unreadable)"; return 1; }
  actual="$(words "$actual")"
  [ "$actual" = "$value" ] || { [ -n "$atleast" ] && [ "$actual" -ge "$value" ] 2>/dev/null; }
}

apply() {
  while next; do
    [ -n "$key" ] || continue
    if ! present; then
      [ -n "$optional" ] || echo "$key is not on this node (is its kernel module loaded?): skipped" >&2
      continue
    fi
    in_place && continue
    sysctl -w "$key=$value" >/dev/null || echo "cannot set $key to $value: skipped" >&2
  done < "$conf"
}

verify() {
  status=0
  while next; do
    [ -n "$key" ] || continue
    if ! present; then
      [ -n "$optional" ] && continue
      echo "$key is not on this node, want \${atleast:+at least }$value" >&2
      status=1
      continue
    fi
    in_place && continue
    echo "$key is $actual, want \${atleast:+at least }$value" >&2
    status=1
  done < "$conf"
  return $status
}

case "\${1:-}" in
  apply) apply; verify || echo "not every value is in place: the readiness probe reports it until it is" >&2 ;;
  verify) verify ;;
  watch)
    trap 'exit 0' TERM INT
    while :; do
      verify || { echo "re-applying" >&2; apply; }
      sleep "$INTERVAL_SECONDS" &
      wait $!
    done
    ;;
  *) echo "usage: $0 apply|verify|watch" >&2; exit 2 ;;
esac
`;
