/*
 * A desktop notification service for the tests: it owns
 * org.freedesktop.Notifications on the session bus and prints each Notify
 * call as one line (app, urgency, summary, body with escapes), after a
 * first line "ready" once the name is its own.
 */
#include <gio/gio.h>
#include <stdio.h>

static const gchar introspection[] =
    "<node><interface name='org.freedesktop.Notifications'>"
    "<method name='Notify'>"
    "<arg type='s' direction='in'/><arg type='u' direction='in'/>"
    "<arg type='s' direction='in'/><arg type='s' direction='in'/>"
    "<arg type='s' direction='in'/><arg type='as' direction='in'/>"
    "<arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
    "<arg type='u' direction='out'/></method>"
    "<method name='GetCapabilities'><arg type='as' direction='out'/>"
    "</method>"
    "<method name='GetServerInformation'>"
    "<arg type='s' direction='out'/><arg type='s' direction='out'/>"
    "<arg type='s' direction='out'/><arg type='s' direction='out'/>"
    "</method>"
    "<method name='CloseNotification'><arg type='u' direction='in'/>"
    "</method>"
    "</interface></node>";

static GDBusNodeInfo *node;
static guint32 next_id;
static int owned;

static void
method_call(GDBusConnection *conn, const gchar *sender, const gchar *path,
    const gchar *iface, const gchar *method, GVariant *params,
    GDBusMethodInvocation *inv, gpointer data)
{
	const gchar *app, *icon, *summary, *body;
	const gchar *caps[] = { "body", NULL };
	GVariant *actions, *hints;
	guchar urgency = 1;
	gint32 timeout;
	guint32 id;
	gchar *escaped;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)data;
	if (g_strcmp0(method, "Notify") == 0) {
		g_variant_get(params, "(&su&s&s&s@as@a{sv}i)", &app, &id, &icon,
		    &summary, &body, &actions, &hints, &timeout);
		g_variant_lookup(hints, "urgency", "y", &urgency);
		escaped = g_strescape(body, NULL);
		printf("app=%s\turgency=%u\tsummary=%s\tbody=%s\n", app,
		    (unsigned)urgency, summary, escaped);
		fflush(stdout);
		g_free(escaped);
		g_variant_unref(actions);
		g_variant_unref(hints);
		g_dbus_method_invocation_return_value(
		    inv, g_variant_new("(u)", ++next_id));
	} else if (g_strcmp0(method, "GetCapabilities") == 0) {
		g_dbus_method_invocation_return_value(
		    inv, g_variant_new("(^as)", caps));
	} else if (g_strcmp0(method, "GetServerInformation") == 0) {
		g_dbus_method_invocation_return_value(inv,
		    g_variant_new("(ssss)", "fake-notifyd", "TaskWeaver tests",
		        "1", "1.2"));
	} else {
		g_dbus_method_invocation_return_value(inv, NULL);
	}
}

static const GDBusInterfaceVTable vtable = { method_call, NULL, NULL, { 0 } };

static void
bus_acquired(GDBusConnection *conn, const gchar *name, gpointer data)
{
	(void)name;
	(void)data;
	g_dbus_connection_register_object(conn,
	    "/org/freedesktop/Notifications", node->interfaces[0], &vtable,
	    NULL, NULL, NULL);
}

static void
name_acquired(GDBusConnection *conn, const gchar *name, gpointer data)
{
	(void)conn;
	(void)name;
	(void)data;
	owned = 1;
	printf("ready\n");
	fflush(stdout);
}

static void
name_lost(GDBusConnection *conn, const gchar *name, gpointer data)
{
	(void)conn;
	(void)data;
	/* After it was owned, the bus went away: the test is over. */
	if (!owned) {
		fprintf(stderr, "fake-notifyd: cannot own %s\n", name);
	}
	exit(owned ? 0 : 1);
}

int
main(void)
{
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);

	node = g_dbus_node_info_new_for_xml(introspection, NULL);
	g_bus_own_name(G_BUS_TYPE_SESSION, "org.freedesktop.Notifications",
	    G_BUS_NAME_OWNER_FLAGS_NONE, bus_acquired, name_acquired, name_lost,
	    NULL, NULL);
	g_main_loop_run(loop);
	return 0;
}
