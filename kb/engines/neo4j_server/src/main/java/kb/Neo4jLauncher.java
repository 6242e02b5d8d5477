package kb;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Transaction;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.server.CommunityBootstrapper;
import org.neo4j.server.security.SecureHasher;
import org.neo4j.server.security.SystemGraphCredential;
import picocli.CommandLine;

/**
 * Runs a Neo4j Community server (Bolt + HTTP, Browser if its jar is on the classpath) bound to 127.0.0.1.
 *
 * <p>Usage: {@code Neo4jLauncher --port 7687 --http-port 7474 --data DIR [--password PW] [--conf key=value]...}
 *
 * <p>DIR is used as NEO4J_HOME: data in DIR/data, logs in DIR/logs. The password may also come from the
 * environment variable KB_NEO4J_PASSWORD, which keeps it out of the process list. An http port of 0 or less
 * disables HTTP. An optional DIR/conf/neo4j.conf is read, but the settings below override it.
 */
public final class Neo4jLauncher {
    private static final String HOST = "127.0.0.1";

    public static void main(String[] argv) throws Exception {
        int port = 7687;
        int httpPort = 7474;
        Path home = null;
        String password = System.getenv("KB_NEO4J_PASSWORD");
        Map<String, String> extra = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            String v = i + 1 < argv.length ? argv[i + 1] : null;
            switch (a) {
                case "--port" -> port = Integer.parseInt(need(a, v));
                case "--http-port" -> httpPort = Integer.parseInt(need(a, v));
                case "--data" -> home = Path.of(need(a, v)).toAbsolutePath();
                case "--password" -> password = need(a, v);
                case "--conf" -> {
                    String kv = need(a, v);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) fail("--conf expects key=value, got: " + kv);
                    extra.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                default -> fail("unknown argument: " + a);
            }
            i++;
        }
        if (home == null) fail("--data DIR is required");
        if (password != null && password.isEmpty()) password = null;
        if (password != null && password.length() < 8) fail("password must be at least 8 characters");
        Files.createDirectories(home);

        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("server.default_listen_address", HOST);
        conf.put("server.default_advertised_address", HOST);
        conf.put("server.bolt.enabled", "true");
        conf.put("server.bolt.listen_address", HOST + ":" + port);
        conf.put("server.bolt.advertised_address", HOST + ":" + port);
        conf.put("server.bolt.tls_level", "DISABLED");
        conf.put("server.http.enabled", Boolean.toString(httpPort > 0));
        if (httpPort > 0) {
            conf.put("server.http.listen_address", HOST + ":" + httpPort);
            conf.put("server.http.advertised_address", HOST + ":" + httpPort);
        }
        conf.put("server.https.enabled", "false");
        conf.put("dbms.security.auth_enabled", Boolean.toString(password != null));
        conf.put("server.memory.pagecache.size", "128m");
        // All transactions together may use 60% of the heap (Neo4j's default is 70%, which leaves a 512m
        // heap little room for the page cache's and Cypher's own objects); one transaction may use all of it.
        conf.put("dbms.memory.transaction.total.max", Runtime.getRuntime().maxMemory() / 10 * 6 / 1024 + "k");
        conf.put("db.tx_log.rotation.retention_policy", "2 days 256M");
        conf.put("dbms.usage_report.enabled", "false");
        conf.put("client.allow_telemetry", "false"); // the Browser would otherwise phone home
        // Netty's default 5s quiet period, paid twice, makes every stop take 10s+; nothing is left to drain.
        conf.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0");
        // server.directories.* are left to default to DIR/data, DIR/logs, ... (DIR is NEO4J_HOME).
        conf.putAll(extra);

        boolean freshDbms = !Files.exists(home.resolve("data/databases/system"));
        if (password != null && freshDbms) {
            // Same as `neo4j-admin dbms set-initial-password`: writes data/dbms/auth.ini, which the system
            // database picks up when it is created, so the server never runs with the default password.
            int rc = new CommandLine(new SetInitialPasswordCommand(new ExecutionContext(
                            home, home.resolve("conf"), nullStream(), System.err, new DefaultFileSystemAbstraction())))
                    .execute(password);
            if (rc != 0) fail("could not set the initial password (exit " + rc + ")");
        }

        CommunityBootstrapper boot = new CommunityBootstrapper();
        // daemonMode=false: with true Neo4j redirects and then closes System.out, and we print READY on it.
        Path confFile = home.resolve("conf/neo4j.conf"); // optional, for hand tuning; our settings win
        int status = boot.start(home, Files.exists(confFile) ? confFile : null, conf, false, false);
        if (status != 0) {
            System.err.println("Neo4j failed to start (status " + status + "), see " + home.resolve("logs"));
            System.exit(status);
        }
        try {
            if (password != null && !freshDbms) {
                // auth.ini only counts on first start; enforce the requested password on an existing store too.
                // Checked first because a cold ALTER USER costs ~2s of startup.
                GraphDatabaseService system = boot.getDatabaseManagementService().database("system");
                if (!passwordIsAlready(system, password)) {
                    system.executeTransactionally(
                            "ALTER USER neo4j IF EXISTS SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
                }
            }
        } catch (RuntimeException e) {
            // Neo4j's non-daemon threads would keep a half-configured server alive: exit (the hook shuts down).
            e.printStackTrace();
            fail("could not set the password: " + e.getMessage());
        }
        waitForPort(port);
        System.out.println("READY bolt://" + HOST + ":" + port);
        System.out.flush();
        // Neo4j's own non-daemon threads keep the JVM alive; its SIGTERM/SIGINT handler and shutdown hook
        // (installed by the bootstrapper) stop the DBMS cleanly.
    }

    private static boolean passwordIsAlready(GraphDatabaseService system, String password) {
        try (Transaction tx = system.beginTx()) {
            Node user = tx.findNode(Label.label("User"), "name", "neo4j");
            return user != null
                    && !Boolean.TRUE.equals(user.getProperty("passwordChangeRequired", false))
                    && user.getProperty("credentials", null) instanceof String c
                    && SystemGraphCredential.deserialize(c, new SecureHasher())
                            .matchesPassword(password.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            return false;
        }
    }

    private static void waitForPort(int port) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 500);
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        fail("Bolt port " + port + " did not open");
    }

    private static PrintStream nullStream() {
        return new PrintStream(OutputStream.nullOutputStream());
    }

    private static String need(String flag, String value) {
        if (value == null) fail(flag + " needs a value");
        return value;
    }

    private static void fail(String msg) {
        System.err.println("Neo4jLauncher: " + msg);
        System.exit(2);
    }
}
