// Shared panel defaults for the dashboards as code (Grafana Foundation SDK).

import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, type DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { ReduceDataOptionsBuilder, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';

/** Fixed datasource uid, provisioned by dashboards/provisioning/datasources.yaml. */
export const DATASOURCE_UID = 'talkload-prometheus';
export const DS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

export function labelVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(query)
    .refresh('onTimeRangeChanged' as never)
    .includeAll(true)
    .allValue('.*')
    .multi(true);
}

export function q(expr: string, legend: string, refId = 'A'): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend).refId(refId);
}

export function timeseries(title: string, unit: string, description: string, targets: DataqueryBuilder[], w = 12, h = 8): TimeseriesBuilder {
  const p = new TimeseriesBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DS)
    .height(h)
    .span(w)
    .min(0)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode('list' as never).placement('bottom' as never));
  for (const t of targets) p.withTarget(t);
  return p;
}

export function stat(title: string, unit: string, description: string, target: DataqueryBuilder, w = 6): StatBuilder {
  return new StatBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DS)
    .height(5)
    .span(w)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .withTarget(target);
}

/** What every talkload dashboard starts with: its identity, refresh and range, the data source variable. */
export function dashboard(title: string, uid: string, tags: string[], description: string, refresh: string, from: string): DashboardBuilder {
  return new DashboardBuilder(title).uid(uid).tags(tags).description(description).refresh(refresh).time({ from, to: 'now' }).timezone('browser').withVariable(datasourceVariable());
}
