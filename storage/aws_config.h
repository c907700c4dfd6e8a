/*
 * Where S3 credentials, region and endpoint come from, as the AWS CLI and SDKs look for
 * them (so that a machine set up for `aws s3` works as is):
 *   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
 *                profile AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE
 *                (default ~/.aws/credentials)
 *   region       AWS_REGION, AWS_DEFAULT_REGION, else "region" in that profile of
 *                AWS_CONFIG_FILE (default ~/.aws/config), else us-east-1
 *   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL (an S3-compatible server), else none
 * (AWS_CA_BUNDLE, a private CA's certificates, is read by blob_s3.c.)
 */
#ifndef EXCAM_STORAGE_AWS_CONFIG_H
#define EXCAM_STORAGE_AWS_CONFIG_H

#include <stddef.h>

typedef struct aws_config {
    char key_id[256];
    char secret[256];
    char token[4096];    /* empty: none */
    char region[64];
    char endpoint[1024]; /* empty: AWS itself */
    char source[1100];   /* where the credentials came from, for messages */
} aws_config;

/* Fill c; BLOB_OK, or BLOB_EINVAL with a message saying what is missing or wrong. */
int aws_config_load(aws_config *c, char *err, size_t errlen);

/* Wipe the secrets. */
void aws_config_clear(aws_config *c);

#endif /* EXCAM_STORAGE_AWS_CONFIG_H */
