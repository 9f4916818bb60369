/* GstP2pTestFixture: the served directory most integration tests start from.
 *
 * A temporary docroot, a real nginx origin serving it, and a source watch
 * that maps the origin's URIs back to files, so responses can be compared
 * with what is on disk. Freed with its processes and (unless
 * GST_P2P_TEST_KEEP_FILES is set) its files.
 *
 * Threads: created and freed on the test's thread.
 */
#ifndef __GST_P2P_TEST_FIXTURE_H__
#define __GST_P2P_TEST_FIXTURE_H__

#include <glib.h>

#include "gstp2ptestorigin.h"
#include "gstp2ptestsourcewatch.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *docroot;
  GstP2pTestOrigin *origin;
  GstP2pTestSourceWatch *watch;
} GstP2pTestFixture;

GstP2pTestFixture * gst_p2p_test_fixture_new  (const gchar * tmp_template,
                                               GError ** error);
void                gst_p2p_test_fixture_free (GstP2pTestFixture * fixture);
gchar *             gst_p2p_test_fixture_uri  (GstP2pTestFixture * fixture,
                                               const gchar * relative);

G_END_DECLS

#endif /* __GST_P2P_TEST_FIXTURE_H__ */
