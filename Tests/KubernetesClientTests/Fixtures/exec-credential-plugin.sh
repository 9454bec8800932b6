#!/bin/sh
# A kubeconfig exec credential plugin for tests. It prints an ExecCredential whose token is
# $PLUGIN_TOKEN, in the apiVersion kubectl asked for (KUBERNETES_EXEC_INFO), and appends a line
# to $PLUGIN_CALLS each time it runs, so tests can count the runs. With $PLUGIN_EXPIRES it sets
# expirationTimestamp; with $PLUGIN_FAIL it fails like a broken plugin.
if [ -n "$PLUGIN_FAIL" ]; then
  echo "plugin: $PLUGIN_FAIL" >&2
  exit 3
fi
[ -n "$PLUGIN_CALLS" ] && echo run >> "$PLUGIN_CALLS"
version=$(printf '%s' "$KUBERNETES_EXEC_INFO" | sed -n 's/.*"apiVersion":"\([^"]*\)".*/\1/p')
expires=""
[ -n "$PLUGIN_EXPIRES" ] && expires=",\"expirationTimestamp\":\"$PLUGIN_EXPIRES\""
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"%s}}\n' "$version" "$PLUGIN_TOKEN" "$expires"
