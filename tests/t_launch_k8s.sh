#!/usr/bin/env bash
# excam k8s-manifest: the Indexed Job it prints parses as YAML (python3-yaml) and has the
# fields Kubernetes needs (batch/v1 Job, completionMode Indexed, completions = parallelism
# = N, a container running `excam worker --coordinator ...` with EXCAM_STORAGE, resource
# requests, a restart policy an Indexed Job allows, the volume when asked); the job key
# from a Secret; hostile values stay one string; bad options are refused. `kubectl apply
# --dry-run=client` too, when kubectl can run it (it needs an API server's discovery even
# for a client dry run).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool python3
python3 -c 'import yaml' 2>/dev/null || skip "python3 has no yaml module (Debian package python3-yaml)"

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# usage: check NAME YAML_FILE EXPECTATIONS (python assertions on `job`)
check() {
    local name=$1 file=$2 expect=$3 out
    if out=$(python3 - "$file" "$expect" 2>&1 <<'EOF'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert len(docs) == 1, f"{len(docs)} documents"
job = docs[0]
assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job", "not a batch/v1 Job"
spec = job["spec"]
assert spec["completionMode"] == "Indexed", "not Indexed"
assert spec["completions"] == spec["parallelism"], "completions != parallelism"
pod = spec["template"]["spec"]
assert pod["restartPolicy"] in ("Never", "OnFailure"), "an Indexed Job wants Never or OnFailure"
(c,) = pod["containers"]
cmd = c["command"]
assert cmd[1:3] == ["worker", "--coordinator"], f"command {cmd}"
env = {e["name"]: e for e in c["env"]}
assert "value" in env["EXCAM_STORAGE"], "no EXCAM_STORAGE"
req = c["resources"]["requests"]
assert req["cpu"] and req["memory"], "no requests"
exec(sys.argv[2])
EOF
    ); then
        ok "$name"
    else
        fail "$name: $out"
        sed 's/^/  /' "$file"
    fi
}

"$EXCAM" k8s-manifest --workers 7 --coordinator coord.example:7700 --storage s3://bucket/x \
    --image registry.example/excam:0.1 >"$SCRATCH/a.yaml"
check "7 workers" "$SCRATCH/a.yaml" '
assert spec["completions"] == 7, spec["completions"]
assert c["image"] == "registry.example/excam:0.1"
assert cmd == ["excam", "worker", "--coordinator", "coord.example:7700", "--name", "$(POD_NAME)"], cmd
assert env["EXCAM_STORAGE"]["value"] == "s3://bucket/x"
assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
assert req == {"cpu": "1", "memory": "512Mi"}, req
assert c["resources"]["limits"]["memory"] == "1024Mi"
assert "volumes" not in pod and job["metadata"]["name"] == "excam-workers"'

"$EXCAM" k8s-manifest --workers 2 --coordinator 10.0.0.1:7700 --storage file:///nfs/blobs \
    --image 'x"y:1
z' --excam /opt/excam/bin/excam --name enc-7 --namespace video --cpu 500m --memory 2Gi \
    --volume-claim blobs >"$SCRATCH/b.yaml"
check "a volume claim, names, quantities, a hostile image name" "$SCRATCH/b.yaml" '
assert c["image"] == "x\"y:1\nz", repr(c["image"])
assert cmd[0] == "/opt/excam/bin/excam"
assert job["metadata"] == {"name": "enc-7", "namespace": "video", "labels": {"app": "excam-worker"}}
assert req == {"cpu": "500m", "memory": "2Gi"} and c["resources"]["limits"]["memory"] == "4Gi"
assert c["volumeMounts"] == [{"name": "storage", "mountPath": "/nfs/blobs"}]
assert pod["volumes"] == [{"name": "storage", "persistentVolumeClaim": {"claimName": "blobs"}}]'

"$EXCAM" k8s-manifest --workers 3 --coordinator coord:7700 --storage /nfs/blobs --image img \
    --key-secret excam-key --insecure --volume-claim blobs >"$SCRATCH/c.yaml"
check "the job key from a Secret (a file, not a symlink), --insecure" "$SCRATCH/c.yaml" '
assert cmd[6:] == ["--key", "/etc/excam-key/job.key", "--insecure"], cmd
assert {"name": "job-key", "mountPath": "/etc/excam-key/job.key", "subPath": "job.key", "readOnly": True} in c["volumeMounts"], c["volumeMounts"]
vol = [v for v in pod["volumes"] if v["name"] == "job-key"][0]["secret"]
assert vol == {"secretName": "excam-key", "defaultMode": 0o400, "items": [{"key": "job.key", "path": "job.key"}]}, vol
assert len(pod["volumes"]) == 2 and len(c["volumeMounts"]) == 2'

refused() { # NAME PATTERN args...
    local name=$1 pat=$2 st=0
    shift 2
    "$EXCAM" k8s-manifest "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || st=$?
    if ((st == 2)) && grep -q -- "$pat" "$SCRATCH/err" && [[ ! -s $SCRATCH/out ]]; then
        ok "$name: $(head -n 1 "$SCRATCH/err")"
    else
        fail "$name: status $st"
        sed 's/^/  /' "$SCRATCH/err"
    fi
}
base=(--workers 2 --coordinator h:1 --storage /s --image i)
refused "no --image" "no --image" --workers 2 --coordinator h:1 --storage /s
refused "zero workers" "--workers needs" --workers 0 --coordinator h:1 --storage /s --image i
refused "a bad name" "--name 'Bad_Name'" "${base[@]}" --name Bad_Name
refused "a bad quantity" "--memory 'lots'" "${base[@]}" --memory lots
refused "a claim for s3 storage" "--storage must be" --workers 2 --coordinator h:1 \
    --storage s3://b/p --image i --volume-claim pvc

if command -v kubectl >/dev/null 2>&1; then
    # Client-side dry runs still ask an API server what kinds exist; with none on this
    # machine kubectl cannot check anything, and that is no fault of the manifest.
    # A kubeconfig of our own, naming a closed loopback port, so that nothing that happens
    # to listen on kubectl's default (localhost:8080) answers.
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$SCRATCH/kubeconfig" <<KUBE
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:$port", insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
KUBE
    if timeout 60 kubectl --kubeconfig "$SCRATCH/kubeconfig" apply --dry-run=client --validate=false \
        -f "$SCRATCH/a.yaml" >"$SCRATCH/k.log" 2>&1; then
        ok "kubectl apply --dry-run=client: $(tail -n 1 "$SCRATCH/k.log")"
    elif grep -qiE "connection refused|unable to recognize|no configuration|dial tcp" "$SCRATCH/k.log"; then
        echo "(kubectl has no API server to ask, even for --dry-run=client: not checked by kubectl)"
    else
        fail "kubectl apply --dry-run=client"
        sed 's/^/  /' "$SCRATCH/k.log"
    fi
else
    echo "(kubectl not installed: the manifest is checked by the YAML checks above only)"
fi

echo "t_launch_k8s: $passed passed, $failed failed"
((failed == 0))
