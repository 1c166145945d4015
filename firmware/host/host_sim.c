/*
 * tinyml-host-sim: the device core with the POSIX platform layer, driven by a
 * script on stdin instead of a broker, so tests can replay exact message
 * sequences (built by the real deployer code) and read every publish back.
 *
 *   msg TOPIC HEX      deliver a message (payload in hex)
 *   connect            what the glue does after each (re)connect
 *   reboot             power cut: all RAM state is lost, boot again from the data dir
 *   offline            the clean-stop status
 *   will               print the Last Will
 *   stats              print the counters as JSON
 *   model              print the serving model as JSON (or null)
 *   install FILE NAME VERSION   the built-in model of a first boot (tm_device_install)
 *   quit
 *
 * Output on stdout, one line each: "pub TOPIC RETAIN PAYLOAD", "sub TOPIC QOS",
 * "unsub TOPIC", and "ok" after every command. The log goes to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_config.h"
#include "host_platform.h"
#include "host_runtime_none.h"
#include "tm_device.h"

static tm_device device;
static uint8_t payload[1 << 20];
static char line[(1 << 21) + 1024];

static int sim_publish(void *ctx, const char *topic, const void *data, size_t len, int retain) {
  (void)ctx;
  printf("pub %s %d %.*s\n", topic, retain, (int)len, (const char *)data);
  return 0;
}

static int sim_subscribe(void *ctx, const char *topic, int qos) {
  (void)ctx;
  printf("sub %s %d\n", topic, qos);
  return 0;
}

static int sim_unsubscribe(void *ctx, const char *topic) {
  (void)ctx;
  printf("unsub %s\n", topic);
  return 0;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(int argc, char **argv) {
  host_config cfg;
  char err[256];
  if (host_config_parse(&cfg, argc, argv, err, sizeof err)) {
    fprintf(stderr, "tinyml-host-sim: %s\n", err);
    return 2;
  }
  tm_platform pf;
  host_storage storage;
  host_platform_init(&pf, &storage, cfg.data_dir, cfg.device.flash_bytes);
  pf.publish = sim_publish;
  pf.subscribe = sim_subscribe;
  pf.unsubscribe = sim_unsubscribe;
  host_runtime_none runtime_state;
  tm_runtime rt;
  host_runtime_none_init(&rt, &runtime_state, &pf);
  if (tm_device_init(&device, &cfg.device, &pf, &rt, err, sizeof err)) {
    fprintf(stderr, "tinyml-host-sim: %s\n", err);
    return 2;
  }
  tm_device_boot(&device);
  printf("ok\n");
  fflush(stdout);

  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *cmd = strtok(line, " ");
    if (!cmd) continue;
    if (!strcmp(cmd, "msg")) {
      char *topic = strtok(NULL, " ");
      char *hex = strtok(NULL, " ");
      size_t n = hex ? strlen(hex) / 2 : 0;
      if (!topic || (hex && (strlen(hex) % 2 || n > sizeof payload))) {
        fprintf(stderr, "tinyml-host-sim: bad msg line\n");
        return 2;
      }
      for (size_t i = 0; i < n; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
          fprintf(stderr, "tinyml-host-sim: bad hex in msg line\n");
          return 2;
        }
        payload[i] = (uint8_t)(hi << 4 | lo);
      }
      tm_device_message(&device, topic, payload, n);
    } else if (!strcmp(cmd, "connect")) {
      tm_device_connected(&device);
    } else if (!strcmp(cmd, "reboot")) {
      rt.unload(rt.ctx);
      if (tm_device_init(&device, &cfg.device, &pf, &rt, err, sizeof err)) return 2;
      tm_device_boot(&device);
    } else if (!strcmp(cmd, "offline")) {
      tm_device_going_offline(&device);
    } else if (!strcmp(cmd, "will")) {
      char topic[TM_TOPIC_MAX], will[256];
      int n = tm_device_will(&device, topic, sizeof topic, will, sizeof will);
      printf("will %s %.*s\n", topic, n < 0 ? 0 : n, will);
    } else if (!strcmp(cmd, "stats")) {
      const tm_device_stats *s = &device.stats;
      printf("stats {\"chunks\":%lu,\"duplicates\":%lu,\"damaged\":%lu,\"foreign\":%lu,"
             "\"early\":%lu,\"offers\":%lu,\"oversize\":%lu}\n",
             (unsigned long)s->chunks, (unsigned long)s->duplicates, (unsigned long)s->damaged,
             (unsigned long)s->foreign, (unsigned long)s->early, (unsigned long)s->offers,
             (unsigned long)s->oversize);
    } else if (!strcmp(cmd, "model")) {
      const tm_model_ref *m = tm_device_model(&device);
      char out[1200];
      tm_jsonw w;
      tm_jsonw_init(&w, out, sizeof out);
      tm_write_ref(&w, m);
      printf("model %s\n", tm_jsonw_finish(&w) < 0 ? "?" : out);
    } else if (!strcmp(cmd, "install")) {
      char *file = strtok(NULL, " ");
      char *name = strtok(NULL, " ");
      char *version = strtok(NULL, " ");
      FILE *f = file && name && version ? fopen(file, "rb") : NULL;
      if (!f) {
        fprintf(stderr, "tinyml-host-sim: install FILE NAME VERSION\n");
        return 2;
      }
      size_t n = fread(payload, 1, sizeof payload, f);
      fclose(f);
      printf("installed %d\n", tm_device_install(&device, payload, n, name, version));
    } else if (!strcmp(cmd, "sense")) {
      /* sense V...: one reading of the device's own sensor, a single input entry. */
      float values[16];
      size_t n = 0;
      for (char *v = strtok(NULL, " "); v && n < 16; v = strtok(NULL, " ")) values[n++] = strtof(v, NULL);
      printf("sensed %d\n", tm_device_infer(&device, values, &n, 1));
    } else if (!strcmp(cmd, "quit")) {
      break;
    } else {
      fprintf(stderr, "tinyml-host-sim: unknown command %s\n", cmd);
      return 2;
    }
    printf("ok\n");
    fflush(stdout);
  }
  rt.unload(rt.ctx);
  return 0;
}
