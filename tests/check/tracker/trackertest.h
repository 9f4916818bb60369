/* Tracker test helpers: a real gst-p2p-tracker child process on a free
 * loopback port, and a synchronous WebSocket client that speaks its JSON.
 *
 * The binary is found through GST_P2P_BUILD_ROOT (set by the test
 * environment). Children get PR_SET_PDEATHSIG, so a crashed test leaves no
 * tracker behind.
 *
 * Threads: the test's main thread and the global default GMainContext; the
 * waits iterate that context.
 */
#ifndef __TRACKER_TEST_H__
#define __TRACKER_TEST_H__

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *proc;
  guint16 port;
  gchar *dir;
  gchar *config_path;
  gchar *secret_path;
  gchar *log_path;
  gchar *url;
  gchar *metrics_url;
  gchar *cert_path;             /* set: the tracker serves wss:// */
  gchar *key_path;
} TestTracker;

const gchar * test_tracker_binary (void);
void          test_make_certificate (const gchar * cert_path,
                                     const gchar * key_path);
TestTracker * test_tracker_new    (const gchar * config_lines,
                                   gboolean with_secret);
gboolean      test_tracker_start  (TestTracker * t);
void          test_tracker_kill   (TestTracker * t, gint sig);
gint          test_tracker_wait   (TestTracker * t, guint timeout_ms);
void          test_tracker_free   (TestTracker * t);
gchar *       test_tracker_metrics (TestTracker * t);
guint64       test_metric         (const gchar * metrics,
                                   const gchar * series);
gchar *       test_tracker_token  (TestTracker * t,
                                   const gchar * swarm,
                                   const gchar * extra_arg);

typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *conn;
  GQueue messages;              /* gchar* texts */
  gboolean closed;
  gushort close_code;
} TestWs;

TestWs *      test_ws_connect     (const gchar * url);
TestWs *      test_ws_connect_tls (const gchar * url,
                                   GTlsCertificate * trusted);
void          test_ws_send        (TestWs * ws, const gchar * text);
void          test_ws_send_binary (TestWs * ws, gsize size);
JsonObject *  test_ws_recv        (TestWs * ws, guint timeout_ms);
JsonObject *  test_ws_expect      (TestWs * ws, const gchar * type,
                                   guint timeout_ms);
gboolean      test_ws_wait_closed (TestWs * ws, guint timeout_ms);
void          test_ws_free        (TestWs * ws);

const gchar * test_json_str       (JsonObject * obj, const gchar * member);
gboolean      test_spin_until     (gboolean (*cond) (gpointer), gpointer data,
                                   guint timeout_ms);

G_END_DECLS

#endif /* __TRACKER_TEST_H__ */
