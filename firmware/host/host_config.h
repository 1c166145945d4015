/*
 * Command-line configuration shared by the host device and the host
 * simulator: the device's identity, limits, ops and public key, validated
 * with one clear error line for a bad value.
 */
#ifndef HOST_CONFIG_H_
#define HOST_CONFIG_H_

#include <stdint.h>

#include "tm_device.h"

typedef struct {
  tm_device_config device;
  char broker_host[256];
  int broker_port;
  const char *data_dir;
  uint32_t reconnect_ms;
  /* Read sensor windows from stdin: one JSON array of real values per line. */
  int stdin_sensor;
  char ops_text[4096];
  const char *ops[TM_MAX_OPS];
  uint8_t public_key[32];
} host_config;

/* Parses argv ("--name value" pairs). Returns 0, or -1 with one line in err. */
int host_config_parse(host_config *c, int argc, char **argv, char *err, size_t errcap);

extern const char HOST_CONFIG_USAGE[];

#endif /* HOST_CONFIG_H_ */
