import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cli } from '../helpers/cli.js'

test('profile --json gives the team table', () => {
  const { code, stdout } = cli(['profile', '--json'])
  assert.equal(code, 0)
  const json = JSON.parse(stdout)
  assert.deepEqual(
    Object.fromEntries(Object.entries(json.endpoints).map(([id, e]) => [id, (e as { rpm: number }).rpm])),
    {
      get_session: 3005,
      post_session: 3005,
      get_patient_check_in: 588,
      post_patient_check_in: 588,
      get_pre_check_in: 2417,
      post_pre_check_in: 2417,
    },
  )
  assert.equal(json.totalRpm, 12_020)
  assert.equal(json.endpoints.get_session.rps, 50.083)
})

test('profile --scale 2 doubles the numbers; --check-ins-per-hour 70560 gives 1176 rpm', () => {
  const doubled = JSON.parse(cli(['profile', '--json', '--scale', '2']).stdout)
  assert.equal(doubled.endpoints.post_session.rpm, 6010)
  assert.equal(doubled.totalRpm, 24_040)
  const checkIns = JSON.parse(cli(['profile', '--json', '--check-ins-per-hour', '70560']).stdout)
  assert.equal(checkIns.endpoints.get_patient_check_in.rpm, 1176)
  assert.equal(checkIns.endpoints.post_patient_check_in.rpm, 1176)
})

test('profile --workers 240 --preset staging-2022 predicts saturation between 0.5x and 1x', () => {
  const json = JSON.parse(cli(['profile', '--json', '--workers', '240', '--preset', 'staging-2022']).stdout)
  assert.equal(json.prediction.busyWorkersAt1x, 391.3)
  assert.equal(json.prediction.saturationShare, 0.613)
  assert.equal(json.prediction.perEndpoint, false)
  const text = cli(['profile', '--workers', '240', '--preset', 'staging-2022']).stdout
  assert.match(text, /busy workers at 1x: 391\.3/)
  assert.match(text, /a pool of 240 workers saturates at 0\.61x of the profile/)
  assert.match(text, /short by 151\.3 workers/)
})

test('profile --per-endpoint: the table sent per endpoint without sessions, 251.7 busy at 1x', () => {
  const args = ['profile', '--workers', '240', '--preset', 'staging-2022', '--per-endpoint']
  const json = JSON.parse(cli([...args, '--json']).stdout)
  assert.equal(json.prediction.busyWorkersAt1x, 251.7)
  assert.equal(json.prediction.saturationShare, 0.953)
  assert.equal(json.prediction.perEndpoint, true)
  assert.match(cli(args).stdout, /per endpoint \(no sessions\)[\s\S]*saturates at 0\.95x/)
})

test('profile prints the table with flows an hour', () => {
  const { stdout } = cli(['profile'])
  assert.match(stdout, /check_in: 35,280 an hour \(588 a minute\)/)
  assert.match(stdout, /get_session\s+GET\s+3,005\s+50\.08/)
  assert.match(stdout, /total\s+12,020\s+200\.33/)
})
