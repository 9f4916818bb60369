/* GstP2pTestFixture: a served temporary directory with a source watch. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptestfixture.h"
#include "gstp2ptestfs.h"

/**
 * gst_p2p_test_fixture_new:
 * @tmp_template: a g_dir_make_tmp() template for the docroot
 *
 * Returns: (nullable): the fixture, or NULL with @error set.
 */
GstP2pTestFixture *
gst_p2p_test_fixture_new (const gchar * tmp_template, GError ** error)
{
  GstP2pTestFixture *f = g_new0 (GstP2pTestFixture, 1);

  f->docroot = gst_p2p_test_fs_make_tmp_dir (tmp_template, error);
  if (!f->docroot)
    goto fail;
  f->origin = gst_p2p_test_origin_start (f->docroot, error);
  if (!f->origin)
    goto fail;
  f->watch = gst_p2p_test_source_watch_new ();
  gst_p2p_test_source_watch_map_docroot (f->watch,
      gst_p2p_test_origin_get_base_uri (f->origin), f->docroot);
  return f;

fail:
  gst_p2p_test_fixture_free (f);
  return NULL;
}

void
gst_p2p_test_fixture_free (GstP2pTestFixture * f)
{
  if (!f)
    return;
  g_clear_pointer (&f->watch, gst_p2p_test_source_watch_free);
  g_clear_pointer (&f->origin, gst_p2p_test_origin_free);
  if (f->docroot && g_getenv ("GST_P2P_TEST_KEEP_FILES") == NULL)
    gst_p2p_test_fs_rm_rf (f->docroot);
  g_free (f->docroot);
  g_free (f);
}

/* Returns: (transfer full): the origin's URI of @relative. */
gchar *
gst_p2p_test_fixture_uri (GstP2pTestFixture * f, const gchar * relative)
{
  return g_strdup_printf ("%s/%s", gst_p2p_test_origin_get_base_uri
      (f->origin), relative);
}
