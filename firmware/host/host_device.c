/*
 * tinyml-host-device: the firmware's protocol core as a Linux process, on
 * libmosquitto — the host build the integration tests deploy to with
 * `tinyml deploy`. Single-threaded like the firmware's loop(): mosquitto_loop()
 * delivers one message at a time to the core, which answers before the next.
 *
 * Presence: the Last Will (retained offline status) is registered before
 * every connect, and the retained online status is published after it, so a
 * lost connection reads "offline" and a reconnect "online" again. SIGTERM or
 * SIGINT: publish offline, disconnect, free everything, exit 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <mosquitto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_config.h"
#include "host_platform.h"
#include "host_runtime.h"
#include "tm_device.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct {
  struct mosquitto *mosq;
  tm_device *device;
  int connected;
  int pending_acks; /* QoS 1 publishes not yet acknowledged */
} app;

static app the_app;
static tm_device the_device; /* ~16 KB: static, as on a microcontroller */

static int mqtt_publish(void *ctx, const char *topic, const void *payload, size_t len, int retain) {
  app *a = (app *)((host_storage *)ctx)->mqtt;
  /* QoS 1 for the retained status (as the Node.js agent), QoS 0 for the rest (as PubSubClient). */
  int qos = retain ? 1 : 0;
  int rc = mosquitto_publish(a->mosq, NULL, topic, (int)len, payload, qos, retain);
  if (rc == MOSQ_ERR_SUCCESS && qos) a->pending_acks++;
  return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static int mqtt_subscribe(void *ctx, const char *topic, int qos) {
  app *a = (app *)((host_storage *)ctx)->mqtt;
  return mosquitto_subscribe(a->mosq, NULL, topic, qos) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static int mqtt_unsubscribe(void *ctx, const char *topic) {
  app *a = (app *)((host_storage *)ctx)->mqtt;
  return mosquitto_unsubscribe(a->mosq, NULL, topic) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static void on_connect(struct mosquitto *mosq, void *ctx, int rc) {
  (void)mosq;
  app *a = (app *)ctx;
  if (rc != 0) {
    fprintf(stderr, "host-device: broker refused the connection: %s\n", mosquitto_connack_string(rc));
    return;
  }
  a->connected = 1;
  fprintf(stderr, "host-device: connected\n");
  tm_device_connected(a->device);
}

static void on_disconnect(struct mosquitto *mosq, void *ctx, int rc) {
  (void)mosq;
  app *a = (app *)ctx;
  a->connected = 0;
  if (rc) fprintf(stderr, "host-device: connection lost (%s)\n", mosquitto_strerror(rc));
}

static void on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *m) {
  (void)mosq;
  app *a = (app *)ctx;
  tm_device_message(a->device, m->topic, (const uint8_t *)m->payload, (size_t)m->payloadlen);
}

static void on_publish(struct mosquitto *mosq, void *ctx, int mid) {
  (void)mosq, (void)mid;
  app *a = (app *)ctx;
  if (a->pending_acks > 0) a->pending_acks--;
}

/*
 * The host's stand-in for the firmware's sensor: a line of real values on
 * stdin is one window, run through tm_device_infer as a sensor reading is
 * (quantized by the runtime for an integer input).
 */
static void read_sensor_line(app *a) {
  static char line[16384];
  static char json[16400];
  static tm_infer_request req;
  struct pollfd p = {0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0 || !fgets(line, sizeof line, stdin)) return;
  line[strcspn(line, "\n")] = '\0';
  char err[160];
  int n = snprintf(json, sizeof json, "{\"v\":1,\"input\":%s}", line);
  if (n < 0 || (size_t)n >= sizeof json ||
      tm_parse_infer(json, (size_t)n, &req, err, sizeof err) != 0) {
    fprintf(stderr, "host-device: sensor line skipped: not a JSON array of numbers\n");
    return;
  }
  size_t counts[1] = {req.count};
  tm_device_infer(a->device, req.values, counts, 1);
}

static void sleep_ms(uint32_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int set_will(app *a) {
  char topic[TM_TOPIC_MAX], payload[256];
  int n = tm_device_will(a->device, topic, sizeof topic, payload, sizeof payload);
  if (n < 0) return -1;
  return mosquitto_will_set(a->mosq, topic, n, payload, 1, true) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

int main(int argc, char **argv) {
  host_config cfg;
  char err[256];
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: tinyml-host-device --id ID --data DIR [options]\n%s", HOST_CONFIG_USAGE);
    return 0;
  }
  if (host_config_parse(&cfg, argc, argv, err, sizeof err)) {
    fprintf(stderr, "tinyml-host-device: %s\n", err);
    return 2;
  }
  tm_platform pf;
  host_storage storage;
  app *a = &the_app;
  a->device = &the_device;
  host_platform_init(&pf, &storage, cfg.data_dir, cfg.device.flash_bytes);
  storage.mqtt = a;
  pf.publish = mqtt_publish;
  pf.subscribe = mqtt_subscribe;
  pf.unsubscribe = mqtt_unsubscribe;
  static host_runtime runtime_state;
  tm_runtime rt;
  if (host_runtime_init(&rt, &runtime_state, &pf, cfg.device.arena_bytes)) {
    fprintf(stderr, "tinyml-host-device: cannot set up the model runtime\n");
    return 1;
  }
#ifdef TM_HOST_TFLM
  /* Announce what the op resolver really registers, not what --ops says. */
  cfg.device.n_ops = host_runtime_ops(cfg.ops, TM_MAX_OPS);
  cfg.device.ops = cfg.ops;
#endif

  if (tm_device_init(a->device, &cfg.device, &pf, &rt, err, sizeof err)) {
    fprintf(stderr, "tinyml-host-device: %s\n", err);
    return 2;
  }
  if (cfg.device.n_ops == 0) {
    fprintf(stderr, "host-device: no --ops given: every model will be refused with E_OPS\n");
  }
  fprintf(stderr, "host-device: %s, inference: %s\n", cfg.device.id, rt.inference);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  mosquitto_lib_init();
  char client_id[96];
  snprintf(client_id, sizeof client_id, "tinyml-device-%s", cfg.device.id);
  a->mosq = mosquitto_new(client_id, true, a);
  if (!a->mosq) {
    fprintf(stderr, "tinyml-host-device: cannot create the MQTT client\n");
    mosquitto_lib_cleanup();
    return 1;
  }
  mosquitto_connect_callback_set(a->mosq, on_connect);
  mosquitto_disconnect_callback_set(a->mosq, on_disconnect);
  mosquitto_message_callback_set(a->mosq, on_message);
  mosquitto_publish_callback_set(a->mosq, on_publish);

  tm_device_boot(a->device);
  const tm_model_ref *m = tm_device_model(a->device);
  if (m) fprintf(stderr, "host-device: serving %s %s (%s)\n", m->name, m->version, m->sha256);

  /*
   * One connect (or reconnect) per lost connection: the CONNACK arrives in a
   * later mosquitto_loop() call, and reconnecting before it would drop the
   * connection being made (and make the broker publish the Will each time).
   */
  int ever_connected = 0, need_connect = 1;
  while (!stop_requested) {
    if (need_connect) {
      if (set_will(a)) {
        fprintf(stderr, "tinyml-host-device: cannot set the Last Will\n");
        break;
      }
      int rc = ever_connected ? mosquitto_reconnect(a->mosq)
                              : mosquitto_connect(a->mosq, cfg.broker_host, cfg.broker_port, 15);
      if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "host-device: cannot connect to %s:%d (%s); retrying\n", cfg.broker_host,
                cfg.broker_port, mosquitto_strerror(rc));
        sleep_ms(cfg.reconnect_ms);
        continue;
      }
      ever_connected = 1;
      need_connect = 0;
    }
    int rc = mosquitto_loop(a->mosq, 100, 1);
    if (cfg.stdin_sensor && a->connected) read_sensor_line(a);
    if (rc != MOSQ_ERR_SUCCESS && !stop_requested) {
      a->connected = 0;
      need_connect = 1;
      sleep_ms(cfg.reconnect_ms);
    }
  }

  /* Clean stop: say offline (QoS 1, waited for up to 2 s), then disconnect. */
  if (a->connected) {
    tm_device_going_offline(a->device);
    for (int i = 0; i < 20 && a->pending_acks > 0; i++) mosquitto_loop(a->mosq, 100, 1);
    mosquitto_disconnect(a->mosq);
    mosquitto_loop(a->mosq, 100, 1);
  }
  mosquitto_destroy(a->mosq);
  mosquitto_lib_cleanup();
  rt.unload(rt.ctx);
  host_runtime_free(&runtime_state);
  fprintf(stderr, "host-device: stopped\n");
  return 0;
}
