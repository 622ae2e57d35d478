/* The benchmark workloads W1, W2 and W3 of tests/bench/ written for ns-3,
 * so that the two simulators can be timed side by side on one machine
 * (tests/bench/workloads.py --ns3). Each does the work of its scenario file:
 *
 *   workloads w1 N   N short fetches from one client to one server over
 *                    100 Mbps / 10 ms, one per millisecond: a 100-byte
 *                    request, a 10,240-byte response, the client closes;
 *   workloads w2 N   N bulk fetches of 10 MB at time 0 over one 1 Gbps /
 *                    5 ms link, CUBIC at both ends (as the linux profile);
 *   workloads w3 N   N client hosts, each on its own 100 Mbps / 1 ms link
 *                    to one router, the server behind it on 1 Gbps / 1 ms;
 *                    client i fetches 10,240 bytes at i ms.
 *
 * Segments carry 1448 bytes (ns-3's default is 536) and every fetch must
 * end with all its bytes, or the program exits 1: a benchmark that did not
 * do its work measures nothing. It prints one line: the fetches done, the
 * bytes received and the simulated time at the end. */

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/version-defines.h"

using namespace ns3;

namespace {

const uint16_t kPort = 80;
const uint32_t kRequest = 100;

uint64_t g_done = 0;     // fetches that received their whole response
uint64_t g_received = 0; // response bytes received by all clients

/* The server: reads a request of kRequest bytes on each connection, then
 * writes the response as the send buffer takes it, and closes when the
 * client has closed. */
class Server : public Application {
  public:
    explicit Server(uint64_t response) : m_response(response) {}

  private:
    struct Conn {
        uint32_t got = 0;
        uint64_t left = 0;
        bool answering = false;
    };

    void StartApplication() override
    {
        m_listener = Socket::CreateSocket(GetNode(), TcpSocketFactory::GetTypeId());
        m_listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), kPort));
        m_listener->Listen();
        m_listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address &>(),
                                      MakeCallback(&Server::Accepted, this));
    }

    void StopApplication() override {}

    void Accepted(Ptr<Socket> s, const Address &)
    {
        m_conns[s] = Conn();
        s->SetRecvCallback(MakeCallback(&Server::Readable, this));
        s->SetSendCallback(MakeCallback(&Server::Writable, this));
        s->SetCloseCallbacks(MakeCallback(&Server::Closed, this),
                             MakeCallback(&Server::Closed, this));
    }

    void Readable(Ptr<Socket> s)
    {
        Conn &c = m_conns[s];
        Ptr<Packet> p;
        while ((p = s->Recv()) && p->GetSize() > 0)
            c.got += p->GetSize();
        if (!c.answering && c.got >= kRequest) {
            c.answering = true;
            c.left = m_response;
            Writable(s, s->GetTxAvailable());
        }
    }

    void Writable(Ptr<Socket> s, uint32_t)
    {
        auto it = m_conns.find(s);
        if (it == m_conns.end())
            return;
        Conn &c = it->second;
        while (c.left > 0) {
            uint32_t room = s->GetTxAvailable();
            if (room == 0)
                break;
            uint32_t n = c.left < room ? (uint32_t)c.left : room;
            if (s->Send(Create<Packet>(n)) < 0)
                break;
            c.left -= n;
        }
    }

    void Closed(Ptr<Socket> s)
    {
        s->Close();
        m_conns.erase(s);
    }

    uint64_t m_response;
    Ptr<Socket> m_listener;
    std::map<Ptr<Socket>, Conn> m_conns;
};

/* A client's fetch: connect, write the request, read the whole response,
 * close first. */
class Fetch : public Object {
  public:
    Fetch(Ptr<Node> node, Ipv4Address server, uint64_t response)
        : m_node(node), m_server(server), m_response(response)
    {
    }

    void Start()
    {
        m_sock = Socket::CreateSocket(m_node, TcpSocketFactory::GetTypeId());
        m_sock->SetConnectCallback(MakeCallback(&Fetch::Connected, this),
                                   MakeCallback(&Fetch::Failed, this));
        m_sock->SetRecvCallback(MakeCallback(&Fetch::Readable, this));
        m_sock->Connect(InetSocketAddress(m_server, kPort));
    }

  private:
    void Connected(Ptr<Socket> s) { s->Send(Create<Packet>(kRequest)); }

    void Failed(Ptr<Socket>) { std::fprintf(stderr, "a connect failed\n"); }

    void Readable(Ptr<Socket> s)
    {
        Ptr<Packet> p;
        while ((p = s->Recv()) && p->GetSize() > 0) {
            m_got += p->GetSize();
            g_received += p->GetSize();
        }
        if (m_got >= m_response && !m_closed) {
            m_closed = true;
            if (m_got == m_response)
                g_done++;
            s->Close();
        }
    }

    Ptr<Node> m_node;
    Ipv4Address m_server;
    uint64_t m_response;
    Ptr<Socket> m_sock;
    uint64_t m_got = 0;
    bool m_closed = false;
};

void Defaults()
{
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
}

void InstallServer(Ptr<Node> node, uint64_t response)
{
    Ptr<Server> app = CreateObject<Server>(response);
    node->AddApplication(app);
    app->SetStartTime(Seconds(0));
}

/* One link between two nodes, addressed from base. */
Ipv4InterfaceContainer Connect(Ptr<Node> a, Ptr<Node> b, const char *rate, const char *delay,
                               Ipv4AddressHelper &addr)
{
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue(rate));
    p2p.SetChannelAttribute("Delay", StringValue(delay));
    NetDeviceContainer d = p2p.Install(a, b);
    Ipv4InterfaceContainer ifs = addr.Assign(d);
    addr.NewNetwork();
    return ifs;
}

void ScheduleFetch(Ptr<Fetch> f, Time at)
{
    Simulator::Schedule(at, &Fetch::Start, f);
}

int Check(uint64_t want)
{
    std::printf("ns-3.%d (%s build): %llu of %llu fetches whole, %llu bytes received, "
                "%.6f s simulated\n",
                NS3_VERSION_MINOR, NS3_VERSION_BUILD_PROFILE, (unsigned long long)g_done,
                (unsigned long long)want,
                (unsigned long long)g_received, Simulator::Now().GetSeconds());
    return g_done == want ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 3 || (std::strcmp(argv[1], "w1") && std::strcmp(argv[1], "w2") &&
                      std::strcmp(argv[1], "w3"))) {
        std::fprintf(stderr, "usage: %s w1|w2|w3 N\n", argv[0]);
        return 2;
    }
    std::string w = argv[1];
    char *end;
    unsigned long n = std::strtoul(argv[2], &end, 10);
    if (*end || n == 0 || n > 1000000) {
        std::fprintf(stderr, "%s: N must be 1 to 1000000\n", argv[0]);
        return 2;
    }
    Defaults();
    std::vector<Ptr<Fetch>> fetches;
    InternetStackHelper stack;
    Ipv4AddressHelper addr("10.0.0.0", "255.255.255.252");
    if (w == "w1" || w == "w2") {
        if (w == "w2")
            Config::SetDefault("ns3::TcpL4Protocol::SocketType",
                               TypeIdValue(TypeId::LookupByName("ns3::TcpCubic")));
        NodeContainer nodes;
        nodes.Create(2);
        stack.Install(nodes);
        Ipv4InterfaceContainer ifs = w == "w1" ? Connect(nodes.Get(0), nodes.Get(1), "100Mbps", "10ms", addr)
                                               : Connect(nodes.Get(0), nodes.Get(1), "1Gbps", "5ms", addr);
        uint64_t response = w == "w1" ? 10240 : 10000000;
        InstallServer(nodes.Get(1), response);
        for (unsigned long i = 0; i < n; i++) {
            fetches.push_back(CreateObject<Fetch>(nodes.Get(0), ifs.GetAddress(1), response));
            ScheduleFetch(fetches.back(), w == "w1" ? MilliSeconds(1 + i) : Seconds(0));
        }
    } else {
        NodeContainer clients;
        clients.Create(n);
        Ptr<Node> router = CreateObject<Node>();
        Ptr<Node> server = CreateObject<Node>();
        stack.Install(clients);
        stack.Install(router);
        stack.Install(server);
        Ipv4InterfaceContainer srv = Connect(router, server, "1Gbps", "1ms", addr);
        for (unsigned long i = 0; i < n; i++)
            Connect(clients.Get(i), router, "100Mbps", "1ms", addr);
        Ipv4GlobalRoutingHelper::PopulateRoutingTables();
        InstallServer(server, 10240);
        for (unsigned long i = 0; i < n; i++) {
            fetches.push_back(CreateObject<Fetch>(clients.Get(i), srv.GetAddress(1), 10240));
            ScheduleFetch(fetches.back(), MilliSeconds(1 + i));
        }
    }
    Simulator::Run();
    int rc = Check(n);
    Simulator::Destroy();
    return rc;
}
