/*
 * TLS material for a cluster (`excam keygen --tls DIR`): a self-signed CA, a server
 * certificate for the coordinator's names and addresses, and a client certificate, all
 * EC P-256 keys signed with SHA-256, made with OpenSSL's C API.
 */
#ifndef EXCAM_TOOLS_TLS_MATERIAL_H
#define EXCAM_TOOLS_TLS_MATERIAL_H

#include <stddef.h>

/*
 * Write DIR/ca.crt, ca.key, server.crt, server.key, client.crt, client.key (keys mode
 * 0600, certificates 0644; DIR is made with mode 0700 if missing). hosts is a comma
 * separated list of DNS names and IP addresses the server certificate is good for
 * (the first is its common name). Existing files are refused unless force. All files
 * appear together or none do. 0, or -1 with err naming the file and the problem.
 */
int tls_material_make(const char *dir, const char *hosts, int days, int force, char *err,
                      size_t errlen);

#endif
