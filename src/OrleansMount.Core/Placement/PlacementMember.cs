namespace OrleansMount.Core.Placement;

/// <summary>
/// One active silo as placement sees it: its id (stable across restarts, e.g. host name) and its
/// weight (its cache capacity in any fixed unit; only ratios matter).
/// </summary>
public sealed record PlacementMember(string SiloId, double Weight);
