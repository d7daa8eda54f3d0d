#!/usr/bin/env bash
# Regenerates imports/ (cdk8s L1 classes) from upstream CRD files. Run through `npx projen import`.
# Usage: scripts/import-crds.sh [CRDS_DIR]   (default: $CDK8S_MESH_CRDS_DIR or ../shared/crds)
# Also writes imports/istio-helm-values.ts, the value keys of Istio's Helm charts, from the charts in
# $CDK8S_MESH_HELM_CHARTS_DIR (default ../shared/helm/istio-1.30.3; the folder name carries the version).
#
# To move to a newer upstream release, put its CRD file in CRDS_DIR and change the file name
# below (or set the matching environment variable), then rerun and commit imports/.
set -euo pipefail

crds_dir=${1:-${CDK8S_MESH_CRDS_DIR:-../shared/crds}}
charts_dir=${CDK8S_MESH_HELM_CHARTS_DIR:-../shared/helm/istio-1.30.3}
istio=${ISTIO_CRDS:-istio-1.30.3.yaml}
prometheus_operator=${PROMETHEUS_OPERATOR_CRDS:-prometheus-operator-0.93.0-podmonitors.yaml prometheus-operator-0.93.0-prometheusrules.yaml prometheus-operator-0.93.0-servicemonitors.yaml}
flagger=${FLAGGER_CRDS:-flagger-1.44.0.yaml}
argo_rollouts=${ARGO_ROLLOUTS_CRDS:-argo-rollouts-1.9.1-rollout.yaml argo-rollouts-1.9.1-analysis-template.yaml}
argo_cd=${ARGO_CD_CRDS:-argo-cd-3.5.1-application.yaml}
flux_source=${FLUX_SOURCE_CRDS:-flux-source-controller-1.9.1-helmrepositories.yaml}
flux_helm=${FLUX_HELM_CRDS:-flux-helm-controller-1.6.3-helmreleases.yaml}
gateway_api=${GATEWAY_API_CRDS:-gateway-api-1.6.1-gatewayclasses.yaml gateway-api-1.6.1-gateways.yaml gateway-api-1.6.1-httproutes.yaml gateway-api-1.6.1-grpcroutes.yaml gateway-api-1.6.1-referencegrants.yaml}
cert_manager=${CERT_MANAGER_CRDS:-cert-manager-1.21.1-certificates.yaml cert-manager-1.21.1-issuers.yaml cert-manager-1.21.1-clusterissuers.yaml}

if [ ! -d "$crds_dir" ]; then
  echo "import-crds: CRD folder '$crds_dir' not found; set CDK8S_MESH_CRDS_DIR or pass the folder" >&2
  exit 1
fi
if [ ! -d "$charts_dir/istiod" ]; then
  echo "import-crds: Istio chart folder '$charts_dir' not found; set CDK8S_MESH_HELM_CHARTS_DIR" >&2
  exit 1
fi

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# `cdk8s import` writes one file per API group and overwrites it for every input file, so CRDs
# of one group that upstream ships in several files are joined into one multi-document file first.
join() {
  local out="$work/$1"; shift
  for f in "$@"; do
    cat "$crds_dir/$f"
    printf '\n---\n'
  done > "$out"
  echo "$out"
}

# shellcheck disable=SC2086
inputs=(
  "$(join istio.yaml $istio)"
  "$(join prometheus-operator.yaml $prometheus_operator)"
  "$(join flagger.yaml $flagger)"
  # Argo Rollouts and Argo CD share the argoproj.io group: one input, one imports/argoproj.io.ts
  "$(join argoproj.yaml $argo_rollouts $argo_cd)"
  "$(join flux-source.yaml $flux_source)"
  "$(join flux-helm.yaml $flux_helm)"
  # Gateway API (gateway.networking.k8s.io) and cert-manager (cert-manager.io) ship one CRD per file
  "$(join gateway-api.yaml $gateway_api)"
  "$(join cert-manager.yaml $cert_manager)"
)

rm -rf "$work/imports"
for input in "${inputs[@]}"; do
  (cd "$work" && "$root/node_modules/.bin/cdk8s" import "$input" --language typescript --output imports --no-check-upgrade >/dev/null)
done

# The value keys of each chart: what users may set at the top level (the keys under
# `_internal_defaults_do_not_set`), the gateway chart's values.schema.json, and the keys every chart's
# templates/zzz_profile.yaml reads (profile, compatibilityVersion, platform). A key is `true` (one
# value), '*' (a map whose keys the user chooses: an empty map by default, or a schema object without
# properties) or the map of its keys.
CHARTS_DIR="$charts_dir" OUT="$work/imports/istio-helm-values.ts" ROOT="$root" node <<'JS'
const fs = require('fs');
const path = require('path');
const YAML = require(path.join(process.env.ROOT, 'node_modules', 'yaml'));
const dir = path.resolve(process.env.CHARTS_DIR);
const version = /^istio-(\d+\.\d+\.\d+)$/.exec(path.basename(dir));
if (!version) throw new Error(`chart folder ${dir} is not named istio-<version>`);
const isMap = v => v !== null && typeof v === 'object' && !Array.isArray(v);
const fromValues = v => !isMap(v) ? true
  : Object.keys(v).length === 0 ? '*'
  : Object.fromEntries(Object.keys(v).sort().map(k => [k, fromValues(v[k])]));
const fromSchema = s => s && s.type === 'object' && !s.properties ? '*'
  : s && s.properties ? Object.fromEntries(Object.keys(s.properties).sort().map(k => [k, fromSchema(s.properties[k])]))
  : true;
const merge = (a, b) => (isMap(a) && isMap(b))
  ? Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].sort().map(k => [k, k in a && k in b ? merge(a[k], b[k]) : (a[k] ?? b[k])]))
  : (a === '*' || b === '*') ? '*' : (isMap(a) ? a : isMap(b) ? b : true);
const charts = {};
for (const chart of ['base', 'istiod', 'gateway', 'cni', 'ztunnel']) {
  const values = YAML.parse(fs.readFileSync(path.join(dir, chart, 'values.yaml'), 'utf8'));
  let keys = fromValues(values._internal_defaults_do_not_set);
  const schemaFile = path.join(dir, chart, 'values.schema.json');
  if (fs.existsSync(schemaFile)) {
    const props = { ...JSON.parse(fs.readFileSync(schemaFile, 'utf8')).$defs.values.properties };
    delete props._internal_defaults_do_not_set;
    keys = merge(keys, fromSchema({ properties: props }));
  }
  const profile = fs.readFileSync(path.join(dir, chart, 'templates', 'zzz_profile.yaml'), 'utf8');
  for (const key of ['profile', 'compatibilityVersion', 'platform']) {
    if (new RegExp(`Values\\)?\\.${key}\\b`).test(profile)) keys = merge(keys, { [key]: true });
  }
  charts[chart] = keys;
}
fs.writeFileSync(process.env.OUT, [
  '// Generated by scripts/import-crds.sh from Istio\'s Helm charts: do not edit.',
  '',
  '/** The Istio release of the charts these keys come from. */',
  `export const ISTIO_HELM_CHARTS_VERSION = '${version[1]}';`,
  '',
  '/** A value key: `true` (one value), `\'*\'` (a map with keys of the user\'s choice) or the map of its keys. */',
  'export type IstioHelmValueKeys = true | \'*\' | { readonly [key: string]: IstioHelmValueKeys };',
  '',
  '/** The value keys of each chart. */',
  `export const ISTIO_HELM_VALUE_KEYS: { readonly [chart: string]: IstioHelmValueKeys } = ${JSON.stringify(charts, null, 2).replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1:').replace(/"/g, "'")};`,
  '',
].join('\n'));
JS

rm -rf "$root/imports"
mv "$work/imports" "$root/imports"
cat > "$root/imports/README.md" <<MD
# imports/

L1 classes generated by \`npx projen import\` (scripts/import-crds.sh, cdk8s-cli \`cdk8s import\`).
Never edit these files by hand: regenerate them.

Generated from: $istio $prometheus_operator $flagger $argo_rollouts $argo_cd $flux_source $flux_helm $gateway_api $cert_manager;
istio-helm-values.ts from the Helm charts in $(basename "$charts_dir")
MD
ls "$root/imports"
