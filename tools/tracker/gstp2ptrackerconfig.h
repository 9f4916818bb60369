/* GstP2pTrackerConfig: the settings of gst-p2p-tracker.
 *
 * Defaults, then the [tracker] group of a GKeyFile (--config), then the
 * command-line flags. Every key is described in docs/tracker.md.
 *
 * Threads: filled in once at start-up on the main thread, read-only after.
 */
#ifndef __GST_P2P_TRACKER_CONFIG_H__
#define __GST_P2P_TRACKER_CONFIG_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *listen;                /* HOST:PORT */
  gchar *tls_cert;
  gchar *tls_key;
  gchar *secret_file;

  guint max_clients;
  guint max_clients_per_ip;     /* 0 = no limit */
  guint max_swarms;
  guint max_swarm_size;         /* 0 = no limit */
  guint max_peers_returned;
  guint max_message_size;       /* checked before parsing */
  guint max_frame_size;         /* larger frames close the connection */
  guint max_depth;
  guint max_caps_size;

  gdouble rate_messages;        /* per second, 0 = no limit */
  gdouble rate_messages_burst;
  gdouble rate_bytes;
  gdouble rate_bytes_burst;
  guint rate_violations_close;  /* drops before the connection is closed */

  guint ping_interval;          /* seconds, told to clients */
  guint eviction_timeout;       /* seconds without a message */
  guint send_queue_limit;       /* bytes unsent to a client before relays
                                 * to it are dropped */
  guint loop_batch_max_ms;      /* 0 = poll as soon as anything is ready */
  guint loop_batch_us_per_client;
  gboolean metrics;
} GstP2pTrackerConfig;

void     gst_p2p_tracker_config_init  (GstP2pTrackerConfig * config);
gboolean gst_p2p_tracker_config_load  (GstP2pTrackerConfig * config,
                                       const gchar * path,
                                       GError ** error);
void     gst_p2p_tracker_config_clear (GstP2pTrackerConfig * config);

G_END_DECLS

#endif /* __GST_P2P_TRACKER_CONFIG_H__ */
