/* GstP2pTrackerConfig: settings of gst-p2p-tracker. See
 * gstp2ptrackerconfig.h.
 *
 * Threads: main thread, at start-up.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <string.h>

#include "gstp2ptrackerconfig.h"

#define GROUP "tracker"

typedef enum
{
  KEY_UINT,
  KEY_DOUBLE,
  KEY_BOOL,
  KEY_STRING,
} KeyType;

typedef struct
{
  const gchar *name;
  KeyType type;
  gsize offset;
  gdouble min, max;
} Key;

#define OFF(f) offsetof (GstP2pTrackerConfig, f)

static const Key keys[] = {
  {"listen", KEY_STRING, OFF (listen)},
  {"tls-cert", KEY_STRING, OFF (tls_cert)},
  {"tls-key", KEY_STRING, OFF (tls_key)},
  {"secret-file", KEY_STRING, OFF (secret_file)},
  {"max-clients", KEY_UINT, OFF (max_clients), 1, 10000000},
  {"max-clients-per-ip", KEY_UINT, OFF (max_clients_per_ip), 0, 10000000},
  {"max-swarms", KEY_UINT, OFF (max_swarms), 1, 10000000},
  {"max-swarm-size", KEY_UINT, OFF (max_swarm_size), 0, 10000000},
  {"max-peers-returned", KEY_UINT, OFF (max_peers_returned), 1, 1000},
  {"max-message-size", KEY_UINT, OFF (max_message_size), 256, 1 << 20},
  {"max-frame-size", KEY_UINT, OFF (max_frame_size), 256, 1 << 24},
  {"max-depth", KEY_UINT, OFF (max_depth), 2, 64},
  {"max-caps-size", KEY_UINT, OFF (max_caps_size), 2, 1 << 16},
  {"rate-messages", KEY_DOUBLE, OFF (rate_messages), 0, 1e9},
  {"rate-messages-burst", KEY_DOUBLE, OFF (rate_messages_burst), 1, 1e9},
  {"rate-bytes", KEY_DOUBLE, OFF (rate_bytes), 0, 1e12},
  {"rate-bytes-burst", KEY_DOUBLE, OFF (rate_bytes_burst), 1, 1e12},
  {"rate-violations-close", KEY_UINT, OFF (rate_violations_close), 0,
      10000000},
  {"ping-interval", KEY_UINT, OFF (ping_interval), 1, 3600},
  {"eviction-timeout", KEY_UINT, OFF (eviction_timeout), 1, 86400},
  {"send-queue-limit", KEY_UINT, OFF (send_queue_limit), 0, 1 << 30},
  {"loop-batch-max-ms", KEY_UINT, OFF (loop_batch_max_ms), 0, 1000},
  {"loop-batch-us-per-client", KEY_UINT, OFF (loop_batch_us_per_client), 0,
      1000},
  {"metrics", KEY_BOOL, OFF (metrics)},
};

/**
 * gst_p2p_tracker_config_init:
 * @config: the settings to fill with the defaults
 */
void
gst_p2p_tracker_config_init (GstP2pTrackerConfig * config)
{
  memset (config, 0, sizeof (*config));
  config->listen = g_strdup ("127.0.0.1:8460");
  config->max_clients = 100000;
  config->max_clients_per_ip = 256;
  config->max_swarms = 10000;
  config->max_swarm_size = 0;
  config->max_peers_returned = 30;
  config->max_message_size = 16 * 1024;
  config->max_frame_size = 64 * 1024;
  config->max_depth = 16;
  config->max_caps_size = 1024;
  config->rate_messages = 20;
  config->rate_messages_burst = 60;
  config->rate_bytes = 64 * 1024;
  config->rate_bytes_burst = 256 * 1024;
  config->rate_violations_close = 200;
  config->ping_interval = 15;
  config->eviction_timeout = 45;
  config->send_queue_limit = 1024 * 1024;
  config->loop_batch_max_ms = 20;
  config->loop_batch_us_per_client = 1;
  config->metrics = TRUE;
}

/**
 * gst_p2p_tracker_config_load:
 * @config: settings, already initialised
 * @path: a GKeyFile with a [tracker] group
 *
 * Keys absent from the file keep their value; unknown keys are warned about
 * (a typo must not silently keep a default); values out of range are errors.
 *
 * Returns: FALSE with @error set if the file can't be used.
 */
gboolean
gst_p2p_tracker_config_load (GstP2pTrackerConfig * config, const gchar * path,
    GError ** error)
{
  GKeyFile *kf = g_key_file_new ();
  gchar **names = NULL;
  gboolean ok = FALSE;
  gsize i, j;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    goto out;

  names = g_key_file_get_keys (kf, GROUP, NULL, NULL);
  for (i = 0; names && names[i]; i++) {
    const Key *key = NULL;
    gpointer field;
    GError *err = NULL;

    for (j = 0; j < G_N_ELEMENTS (keys); j++)
      if (strcmp (keys[j].name, names[i]) == 0)
        key = &keys[j];
    if (!key) {
      g_warning ("%s: unknown key '%s' ignored", path, names[i]);
      continue;
    }
    field = (guint8 *) config + key->offset;

    switch (key->type) {
      case KEY_STRING:{
        gchar *v = g_key_file_get_string (kf, GROUP, key->name, &err);

        if (v) {
          g_free (*(gchar **) field);
          *(gchar **) field = v;
        }
        break;
      }
      case KEY_BOOL:{
        gboolean v = g_key_file_get_boolean (kf, GROUP, key->name, &err);

        if (!err)
          *(gboolean *) field = v;
        break;
      }
      case KEY_UINT:
      case KEY_DOUBLE:{
        gdouble v = key->type == KEY_UINT ?
            (gdouble) g_key_file_get_int64 (kf, GROUP, key->name, &err) :
            g_key_file_get_double (kf, GROUP, key->name, &err);

        if (!err && (v < key->min || v > key->max))
          g_set_error (&err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
              "out of range [%g, %g]", key->min, key->max);
        if (!err && key->type == KEY_UINT)
          *(guint *) field = (guint) v;
        else if (!err)
          *(gdouble *) field = v;
        break;
      }
    }
    if (err) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
          "%s: key '%s': %s", path, key->name, err->message);
      g_clear_error (&err);
      goto out;
    }
  }

  if (config->max_message_size > config->max_frame_size) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
        "%s: max-message-size must not exceed max-frame-size", path);
    goto out;
  }
  ok = TRUE;

out:
  g_strfreev (names);
  g_key_file_free (kf);
  return ok;
}

/**
 * gst_p2p_tracker_config_clear:
 * @config: settings to free the strings of
 */
void
gst_p2p_tracker_config_clear (GstP2pTrackerConfig * config)
{
  g_clear_pointer (&config->listen, g_free);
  g_clear_pointer (&config->tls_cert, g_free);
  g_clear_pointer (&config->tls_key, g_free);
  g_clear_pointer (&config->secret_file, g_free);
}
