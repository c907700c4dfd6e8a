/*
 * `excam k8s-manifest`: a Kubernetes Indexed Job (batch/v1) whose N pods each run one
 * worker dialling the coordinator. Kubernetes itself starts, places, restarts and stops
 * them (`kubectl apply -f`, `kubectl delete job NAME`), so this is a manifest, not a
 * launcher. Strings are written as double-quoted YAML scalars (JSON escapes), so no
 * value can change the document's structure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: excam k8s-manifest --workers N --coordinator HOST:PORT --storage URI --image IMG\n"
    "                          [options] > job.yaml\n"
    "\n"
    "Print a Kubernetes Indexed Job (batch/v1) that runs N excam workers dialling the\n"
    "coordinator; `kubectl apply -f job.yaml` starts them, `kubectl delete job NAME`\n"
    "stops them.\n"
    "\n"
    "      --workers N          pods (completions and parallelism)\n"
    "      --coordinator H:P    the coordinator, reachable from the pods\n"
    "      --storage URI        the jobs' blob storage, reachable from the pods (given to\n"
    "                           them as EXCAM_STORAGE)\n"
    "      --image IMG          a container image with excam in it\n"
    "      --excam PATH         excam in the image (default: excam, on its PATH)\n"
    "      --name NAME          the Job's name (default excam-workers)\n"
    "      --namespace NS       its namespace (default: kubectl's)\n"
    "      --cpu Q, --memory Q  each pod's requests (default 1 and 512Mi; the memory\n"
    "                           limit is twice that)\n"
    "      --volume-claim PVC   mount this PersistentVolumeClaim at the storage's path\n"
    "                           (a file:// or path storage shared by every pod, e.g. NFS)\n"
    "      --key-secret S       the job key from the Secret S (its entry job.key; make it\n"
    "                           with kubectl create secret generic S --from-file=job.key)\n"
    "      --insecure           the workers may dial the coordinator without TLS\n"
    "  -h, --help               this text\n";

/* s as a double-quoted YAML scalar. */
static void put_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

/* A DNS-1123 label, as Kubernetes wants names. */
static int dns_label(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-') return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A resource quantity: digits with an optional fraction and unit ("500m", "1.5", "2Gi"). */
static int quantity(const char *s)
{
    size_t d = strspn(s, "0123456789.");
    if (!d) return 0;
    const char *u = s + d;
    static const char *const units[] = {"", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(u, units[i])) return 1;
    return 0;
}

int cmd_k8s_manifest(int argc, char **argv)
{
    enum { O_WORKERS = 256, O_COORD, O_STORAGE, O_IMAGE, O_EXCAM, O_NAME, O_NS, O_CPU, O_MEM, O_PVC,
           O_KEY_SECRET, O_INSECURE };
    static const struct option opts[] = {
        {"workers", required_argument, NULL, O_WORKERS},
        {"coordinator", required_argument, NULL, O_COORD},
        {"storage", required_argument, NULL, O_STORAGE},
        {"image", required_argument, NULL, O_IMAGE},
        {"excam", required_argument, NULL, O_EXCAM},
        {"name", required_argument, NULL, O_NAME},
        {"namespace", required_argument, NULL, O_NS},
        {"cpu", required_argument, NULL, O_CPU},
        {"memory", required_argument, NULL, O_MEM},
        {"volume-claim", required_argument, NULL, O_PVC},
        {"key-secret", required_argument, NULL, O_KEY_SECRET},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "k8s-manifest", *coord = NULL, *storage = getenv("EXCAM_STORAGE");
    const char *image = NULL, *excam = "excam", *name = "excam-workers", *ns = NULL;
    const char *cpu = "1", *mem = "512Mi", *pvc = NULL, *key_secret = NULL;
    int insecure = 0;
    unsigned long workers = 0;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_WORKERS:
            if (cli_parse_uint(optarg, 100000, &workers) || !workers)
                return cli_usage_error(cmd, "--workers needs a number from 1 to 100000, not '%s'", optarg);
            break;
        case O_COORD: coord = optarg; break;
        case O_STORAGE: storage = optarg; break;
        case O_IMAGE: image = optarg; break;
        case O_EXCAM: excam = optarg; break;
        case O_NAME: name = optarg; break;
        case O_NS: ns = optarg; break;
        case O_CPU: cpu = optarg; break;
        case O_MEM: mem = optarg; break;
        case O_PVC: pvc = optarg; break;
        case O_KEY_SECRET: key_secret = optarg; break;
        case O_INSECURE: insecure = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!workers) return cli_usage_error(cmd, "no --workers N");
    if (!coord || !strchr(coord, ':')) return cli_usage_error(cmd, "no --coordinator HOST:PORT");
    if (!storage || !*storage) return cli_usage_error(cmd, "no --storage URI (or EXCAM_STORAGE)");
    if (!image || !*image) return cli_usage_error(cmd, "no --image IMG");
    if (!dns_label(name))
        return cli_usage_error(cmd, "--name '%s': Kubernetes wants 1-63 of a-z, 0-9 and '-'", name);
    if (ns && !dns_label(ns))
        return cli_usage_error(cmd, "--namespace '%s': Kubernetes wants 1-63 of a-z, 0-9 and '-'", ns);
    if (key_secret && !dns_label(key_secret))
        return cli_usage_error(cmd, "--key-secret '%s': not a Kubernetes name", key_secret);
    if (pvc && !dns_label(pvc))
        return cli_usage_error(cmd, "--volume-claim '%s': not a Kubernetes name", pvc);
    if (!quantity(cpu)) return cli_usage_error(cmd, "--cpu '%s' is not a quantity (1, 500m)", cpu);
    if (!quantity(mem)) return cli_usage_error(cmd, "--memory '%s' is not a quantity (512Mi, 2Gi)", mem);
    const char *mount = NULL;
    if (pvc) {
        mount = !strncmp(storage, "file://", 7) ? storage + 7 : storage;
        if (*mount != '/')
            return cli_usage_error(cmd, "--volume-claim mounts a directory: --storage must be "
                                        "file:///dir or /dir, not '%s'", storage);
    }

    printf("# excam workers: %lu pods dialling %s. kubectl apply -f this; kubectl delete job %s\n",
           workers, coord, name);
    printf("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ");
    put_str(name);
    if (ns) {
        printf("\n  namespace: ");
        put_str(ns);
    }
    printf("\n  labels:\n    app: \"excam-worker\"\n");
    printf("spec:\n  completionMode: Indexed\n  completions: %lu\n  parallelism: %lu\n", workers,
           workers);
    /* A pod that fails is started again (a worker that lost its coordinator exits 1). */
    printf("  backoffLimit: %lu\n", workers * 2 > 6 ? workers * 2 : 6);
    printf("  template:\n    metadata:\n      labels:\n        app: \"excam-worker\"\n");
    printf("    spec:\n      restartPolicy: OnFailure\n      containers:\n");
    printf("      - name: \"worker\"\n        image: ");
    put_str(image);
    printf("\n        command: [");
    put_str(excam);
    printf(", \"worker\", \"--coordinator\", ");
    put_str(coord);
    printf(", \"--name\", \"$(POD_NAME)\"%s%s]\n",
           key_secret ? ", \"--key\", \"/etc/excam-key/job.key\"" : "",
           insecure ? ", \"--insecure\"" : "");
    printf("        env:\n        - name: \"EXCAM_STORAGE\"\n          value: ");
    put_str(storage);
    printf("\n        - name: \"POD_NAME\"\n          valueFrom:\n            fieldRef:\n"
           "              fieldPath: \"metadata.name\"\n");
    printf("        resources:\n          requests:\n            cpu: ");
    put_str(cpu);
    printf("\n            memory: ");
    put_str(mem);
    /* The limit: twice the request (a 1080p rebase holds a few frames and states). */
    char lim[64];
    size_t d = strspn(mem, "0123456789.");
    snprintf(lim, sizeof(lim), "%g%s", 2 * strtod(mem, NULL), mem + d);
    printf("\n          limits:\n            memory: ");
    put_str(lim);
    putchar('\n');
    if (pvc || key_secret) printf("        volumeMounts:\n");
    if (pvc) {
        printf("        - name: \"storage\"\n          mountPath: ");
        put_str(mount);
        putchar('\n');
    }
    /* The job key from a Secret, a file only its owner reads (as excam demands), mounted
     * by subPath: a Secret volume's own entries are symlinks, which excam does not follow. */
    if (key_secret)
        printf("        - name: \"job-key\"\n          mountPath: \"/etc/excam-key/job.key\"\n"
               "          subPath: \"job.key\"\n          readOnly: true\n");
    if (pvc || key_secret) printf("      volumes:\n");
    if (pvc) {
        printf("      - name: \"storage\"\n        persistentVolumeClaim:\n          claimName: ");
        put_str(pvc);
        putchar('\n');
    }
    if (key_secret) {
        printf("      - name: \"job-key\"\n        secret:\n          secretName: ");
        put_str(key_secret);
        printf("\n          defaultMode: 256\n          items:\n          - key: \"job.key\"\n"
               "            path: \"job.key\"\n");
    }
    return fflush(stdout) ? 1 : 0;
}
