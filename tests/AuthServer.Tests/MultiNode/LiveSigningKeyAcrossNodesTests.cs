using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using static AuthServer.Tests.Security.LiveSigningKeys;

namespace AuthServer.Tests.MultiNode;

/// <summary>Issue 26 on two nodes over one database (two in-process hosts, each with its own
/// clock and key ring): `keys revoke` on node 1 reaches node 2 within AuthServer:Keys:RefreshSeconds
/// without a restart. Afterwards each node issues codes and refresh tokens signed by the
/// replacement key, which work on either node, and each node refuses the code, refresh token and
/// access token the withdrawn key signed.</summary>
public abstract class LiveSigningKeyAcrossNodesTests(DatabaseProvider provider) : ServerTest(provider)
{
    [Fact]
    public async Task After_keys_revoke_on_one_node_both_nodes_issue_with_the_replacement_and_refuse_the_withdrawn_key()
    {
        var node1 = Factory;
        await using var node2 = new AuthServerFactory(Provider, node1.ConnectionString);
        node2.Time.Set(node1.Time.GetUtcNow()); // the nodes' clocks agree, as NTP keeps them
        var world = await WorldAsync(node1);
        // One person's browser, whose session (in the database) works on both nodes.
        using var browser1 = new Browser(node1);
        using var browser2 = new Browser(node2, browser1.Cookies);

        // Before: a code from node 1 exchanged on node 2, and a code from node 2 kept for later;
        // both nodes have read the ring by then.
        var (code, verifier) = await CodeAsync(world, browser1);
        var (oldAccess, oldRefresh) = TokensOf(await new UserGrants.UserGrantFlow(node2).ExchangeAsync(world.ClientId, code, verifier));
        var (oldCode, oldVerifier) = await CodeAsync(world, browser2);
        Assert.True(await IsActiveAtAsync(node1, world, oldAccess));
        Assert.True(await IsActiveAtAsync(node2, world, oldAccess));
        var kid = new JsonWebToken(oldAccess).Kid;
        var signers = new[] { kid, await SigningKidAsync(node1, oldCode), await SigningKidAsync(node2, oldRefresh) };

        // keys revoke --kid on node 1 of the key that signs them (one key, checked at the end).
        SigningKey? replacement = null;
        foreach (var signer in signers.Distinct())
        {
            replacement = await RevokeKeyAsync(node1, signer) ?? replacement;
        }

        Assert.NotNull(replacement);
        node1.Time.Advance(RefreshInterval(node1));
        node2.Time.Advance(RefreshInterval(node2));

        // Each node issues codes and refresh tokens signed by the replacement, good on the other node.
        foreach (var (issuer, issuerBrowser, other) in new[] { (node1, browser1, node2), (node2, browser2, node1) })
        {
            var issuerFlow = new UserGrants.UserGrantFlow(issuer);
            var otherFlow = new UserGrants.UserGrantFlow(other);
            var (newCode, newVerifier) = await CodeAsync(world, issuerBrowser);
            var (access, refresh) = TokensOf(await otherFlow.ExchangeAsync(world.ClientId, newCode, newVerifier));
            var (refreshedAccess, refreshedRefresh) = TokensOf(await issuerFlow.RefreshAsync(world.ClientId, refresh));
            _ = TokensOf(await otherFlow.RefreshAsync(world.ClientId, refreshedRefresh));
            foreach (var node in new[] { node1, node2 })
            {
                Assert.True(await IsActiveAtAsync(node, world, access));
                Assert.True(await IsActiveAtAsync(node, world, refreshedAccess));
            }

            Assert.Equal(replacement.Id, await SigningKidAsync(other, newCode));
            Assert.Equal(replacement.Id, new JsonWebToken(access).Kid);
            Assert.Equal(replacement.Id, await SigningKidAsync(issuer, refresh));
            Assert.Equal(replacement.Id, new JsonWebToken(refreshedAccess).Kid);
            Assert.Equal(replacement.Id, await SigningKidAsync(other, refreshedRefresh));
        }

        // What the withdrawn key signed is refused on both nodes (a refused code or refresh token is
        // not consumed, so the second node is asked about the same one).
        foreach (var node in new[] { node1, node2 })
        {
            var flow = new UserGrants.UserGrantFlow(node);
            AssertInvalidGrant(await flow.ExchangeAsync(world.ClientId, oldCode, oldVerifier));
            AssertInvalidGrant(await flow.RefreshAsync(world.ClientId, oldRefresh));
            Assert.False(await IsActiveAtAsync(node, world, oldAccess));
        }

        // One key signed the access token, the code and the refresh token before the revoke.
        Assert.Equal([kid, kid, kid], signers);
    }
}

public sealed class LiveSigningKeyAcrossNodesOnPostgreSql() : LiveSigningKeyAcrossNodesTests(DatabaseProvider.PostgreSQL);
