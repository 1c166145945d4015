#include "host_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char HOST_CONFIG_USAGE[] =
    "  --id ID                device id (^[A-Za-z0-9_.-]{1,64}$), required\n"
    "  --data DIR             where slots and records live, required\n"
    "  --broker mqtt://H:P    broker (default mqtt://127.0.0.1:1883)\n"
    "  --prefix P             topic prefix (default tinyml/)\n"
    "  --group G              fleet group\n"
    "  --profile NAME         profile shown in the status (default esp32-host)\n"
    "  --max-packet BYTES     largest MQTT packet accepted (default 2048; PubSubClient's default is 256)\n"
    "  --arena BYTES          tensor arena budget (default 102400)\n"
    "  --flash BYTES          bytes of one model slot (default 524288)\n"
    "  --window N             chunks in flight accepted, 1..64 (default 8)\n"
    "  --ops A,B,...          builtin ops the firmware registers (announced in caps.ops)\n"
    "  --public-key HEX       Ed25519 public key, 64 hex digits: accept only signed manifests\n"
    "  --reconnect-ms MS      pause before reconnecting (default 500)\n"
    "  --stdin-sensor 1       a sensor on stdin: each line a JSON array of real values, one inference\n";

static int number(const char *name, const char *text, uint64_t max, uint32_t *out, char *err,
                  size_t errcap) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || end == text || *end || text[0] == '-' || v > max) {
    snprintf(err, errcap, "%s must be an integer in [0, %llu], got \"%s\"", name,
             (unsigned long long)max, text);
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

static int parse_broker(host_config *c, const char *url, char *err, size_t errcap) {
  const char *scheme = "mqtt://";
  if (strncmp(url, scheme, strlen(scheme)) != 0) {
    snprintf(err, errcap, "--broker must be mqtt://HOST:PORT, got \"%s\"", url);
    return -1;
  }
  const char *host = url + strlen(scheme);
  const char *colon = strrchr(host, ':');
  size_t host_len = colon ? (size_t)(colon - host) : strlen(host);
  uint32_t port = 1883;
  if (host_len == 0 || host_len >= sizeof c->broker_host ||
      (colon && number("--broker port", colon + 1, 65535, &port, err, errcap))) {
    if (!err[0]) snprintf(err, errcap, "--broker must be mqtt://HOST:PORT, got \"%s\"", url);
    return -1;
  }
  memcpy(c->broker_host, host, host_len);
  c->broker_host[host_len] = '\0';
  c->broker_port = (int)port;
  return 0;
}

static int parse_ops(host_config *c, const char *list, char *err, size_t errcap) {
  if (strlen(list) >= sizeof c->ops_text) {
    snprintf(err, errcap, "--ops is longer than %lu characters", (unsigned long)sizeof c->ops_text);
    return -1;
  }
  strcpy(c->ops_text, list);
  c->device.n_ops = 0;
  for (char *p = c->ops_text; *p;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (*p) {
      if (c->device.n_ops >= TM_MAX_OPS) {
        snprintf(err, errcap, "--ops lists more than %d ops", TM_MAX_OPS);
        return -1;
      }
      c->ops[c->device.n_ops++] = p;
    }
    if (!comma) break;
    p = comma + 1;
  }
  c->device.ops = c->ops;
  return 0;
}

static int parse_key(host_config *c, const char *hex, char *err, size_t errcap) {
  if (strlen(hex) != 64) {
    snprintf(err, errcap, "--public-key must be 64 hex digits, got %lu characters",
             (unsigned long)strlen(hex));
    return -1;
  }
  for (int i = 0; i < 32; i++) {
    unsigned v;
    char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
    char *end;
    v = (unsigned)strtoul(two, &end, 16);
    if (*end) {
      snprintf(err, errcap, "--public-key must be 64 hex digits, got \"%s\"", hex);
      return -1;
    }
    c->public_key[i] = (uint8_t)v;
  }
  c->device.public_key = c->public_key;
  return 0;
}

int host_config_parse(host_config *c, int argc, char **argv, char *err, size_t errcap) {
  memset(c, 0, sizeof *c);
  err[0] = '\0';
  snprintf(c->broker_host, sizeof c->broker_host, "127.0.0.1");
  c->broker_port = 1883;
  c->reconnect_ms = 500;
  c->device.profile = "esp32-host";
  c->device.max_packet = 2048;
  c->device.arena_bytes = 100 * 1024;
  c->device.flash_bytes = 512 * 1024;
  c->device.window = 8;
  c->device.ops = c->ops;
  for (int i = 1; i < argc; i++) {
    const char *name = argv[i];
    if (i + 1 >= argc) {
      snprintf(err, errcap, "%s needs a value (or is not an option)", name);
      return -1;
    }
    const char *value = argv[++i];
    int rc = 0;
    if (!strcmp(name, "--id")) {
      c->device.id = value;
    } else if (!strcmp(name, "--data")) {
      c->data_dir = value;
    } else if (!strcmp(name, "--broker")) {
      rc = parse_broker(c, value, err, errcap);
    } else if (!strcmp(name, "--prefix")) {
      c->device.prefix = value;
    } else if (!strcmp(name, "--group")) {
      c->device.group = value;
    } else if (!strcmp(name, "--profile")) {
      c->device.profile = value;
    } else if (!strcmp(name, "--max-packet")) {
      rc = number(name, value, 268435460u, &c->device.max_packet, err, errcap);
    } else if (!strcmp(name, "--arena")) {
      rc = number(name, value, 0xffffffffu, &c->device.arena_bytes, err, errcap);
    } else if (!strcmp(name, "--flash")) {
      rc = number(name, value, 0xffffffffu, &c->device.flash_bytes, err, errcap);
    } else if (!strcmp(name, "--window")) {
      rc = number(name, value, 64, &c->device.window, err, errcap);
    } else if (!strcmp(name, "--ops")) {
      rc = parse_ops(c, value, err, errcap);
    } else if (!strcmp(name, "--public-key")) {
      rc = parse_key(c, value, err, errcap);
    } else if (!strcmp(name, "--stdin-sensor")) {
      c->stdin_sensor = !strcmp(value, "1");
    } else if (!strcmp(name, "--reconnect-ms")) {
      rc = number(name, value, 60000, &c->reconnect_ms, err, errcap);
    } else {
      snprintf(err, errcap, "unknown option %s", name);
      return -1;
    }
    if (rc) return -1;
  }
  if (!c->device.id) {
    snprintf(err, errcap, "--id is required");
    return -1;
  }
  if (!c->data_dir) {
    snprintf(err, errcap, "--data is required");
    return -1;
  }
  return 0;
}
