/* libgstp2p initialisation: debug categories shared by the whole engine. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2p.h"

GST_DEBUG_CATEGORY (gst_p2p_debug);

/**
 * gst_p2p_init:
 *
 * Initialises the library. Safe to call more than once and from any thread.
 */
void
gst_p2p_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_p2p_debug, "p2p", 0, "gst-p2p engine");
    g_once_init_leave (&done, 1);
  }
}
